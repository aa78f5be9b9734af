#include "train/phantom/phantom_volume.h"

#include <nifti1.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "core/error.h"
#include "train/io/dicom_io.h"

namespace gan::train {

namespace fs = std::filesystem;

namespace {

std::string volume_file_name(int subject, const char* suffix) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "subj%03d%s.nii.gz", subject, suffix);
  return buf;
}

// Renders one subject in each contrast of `t2s` (false = T1w, true = T2w) from one set of tissue
// maps per slice: the maps are the costly part, and the paired test subjects need both contrasts.
// Slices are rendered in parallel, each into its own z range, so the voxels do not depend on the
// thread count.
std::vector<io::Volume> render_subject(const PhantomOptions& o, int subject, const std::vector<bool>& t2s) {
  io::Volume like;
  like.nx = like.ny = o.size;
  like.nz = o.slices;
  like.datatype = DT_FLOAT32;
  like.geometry = phantom_volume_geometry(o);
  const size_t plane = static_cast<size_t>(o.size) * o.size;
  like.voxels.assign(plane * o.slices, 0.f);
  std::vector<io::Volume> volumes(t2s.size(), like);
  for (size_t c = 0; c < t2s.size(); ++c) volumes[c].geometry.descrip += t2s[c] ? " T2w" : " T1w";

  std::string error;
#pragma omp parallel for schedule(dynamic)
  for (int k = 0; k < o.slices; ++k) {
    try {
      TissueMaps maps = phantom_tissue_maps(o, subject, k);
      for (size_t c = 0; c < t2s.size(); ++c) {
        io::Image img = render_phantom_slice(o, maps, subject, k, t2s[c]);
        // Image row y, column x -> voxel (x, y, k): row 0 (anterior) is voxel y = 0.
        std::copy(img.pixels.begin(), img.pixels.end(), volumes[c].voxels.begin() + static_cast<std::ptrdiff_t>(plane * k));
      }
    } catch (const std::exception& e) {
#pragma omp critical(phantom_volume_error)
      if (error.empty()) error = e.what();
    }
  }
  if (!error.empty()) throw InputError(error);
  return volumes;
}

}  // namespace

VoxelSize phantom_voxel_size(const PhantomOptions& o) {
  VoxelSize v;
  v.dx = v.dy = kPhantomFovMm / o.size;
  v.dz = kSlabLevels * kPhantomHeadHeightMm / o.slices;
  return v;
}

io::NiftiGeometry phantom_volume_geometry(const PhantomOptions& o) {
  const VoxelSize v = phantom_voxel_size(o);
  // World position of voxel (i, j, k) = (-dx i + ox, -dy j + oy, dz k + oz); the offsets put the
  // centre voxel position ((n - 1) / 2 on each axis) at (0, 0, 0).
  const double ox = v.dx * (o.size - 1) / 2, oy = v.dy * (o.size - 1) / 2, oz = -v.dz * (o.slices - 1) / 2;
  io::NiftiGeometry g;
  g.pixdim = {1.f, static_cast<float>(v.dx), static_cast<float>(v.dy), static_cast<float>(v.dz), 0.f, 0.f, 0.f, 0.f};
  g.qform_code = g.sform_code = NIFTI_XFORM_SCANNER_ANAT;
  // The rotation diag(-1, -1, 1) (a proper rotation: 180 degrees about z) is the quaternion
  // (a, b, c, d) = (0, 0, 0, 1); qfac = 1 because the slice axis is not flipped.
  g.quatern_b = 0.f, g.quatern_c = 0.f, g.quatern_d = 1.f;
  g.qfac = 1.f;
  g.qoffset_x = static_cast<float>(ox), g.qoffset_y = static_cast<float>(oy), g.qoffset_z = static_cast<float>(oz);
  g.srow = {{{static_cast<float>(-v.dx), 0.f, 0.f, static_cast<float>(ox)},
             {0.f, static_cast<float>(-v.dy), 0.f, static_cast<float>(oy)},
             {0.f, 0.f, static_cast<float>(v.dz), static_cast<float>(oz)},
             {0.f, 0.f, 0.f, 1.f}}};
  g.xyz_units = NIFTI_UNITS_MM;
  g.descrip = "gan_phantom seed " + std::to_string(o.seed);
  return g;
}

std::vector<PhantomVolumeFile> plan_phantom_volumes(const PhantomOptions& o) {
  // Unpaired training files carry the contrast in their name (the two domains never share a
  // subject); paired files share one name per subject, so trainA/X and trainB/X (testA/X and
  // testB/X) are the same head.
  std::vector<PhantomVolumeFile> plan;
  for (int i = 0; i < o.subjects; ++i)
    plan.push_back({"trainA", i, volume_file_name(i, o.paired ? "" : "_t1"), false});
  for (int i = 0; i < o.subjects; ++i) {
    const int s = o.paired ? i : o.subjects + i;
    plan.push_back({"trainB", s, volume_file_name(s, o.paired ? "" : "_t2"), true});
  }
  for (int i = 0; i < o.test_subjects; ++i) {
    const int s = 2 * o.subjects + i;
    plan.push_back({"testA", s, volume_file_name(s, ""), false});
    plan.push_back({"testB", s, volume_file_name(s, ""), true});
  }
  return plan;
}

io::Volume render_phantom_volume(const PhantomOptions& o, int subject, bool t2) {
  validate_phantom_options(o);
  return render_subject(o, subject, {t2}).front();
}

namespace {

// "subj004.nii.gz" -> "subj004": the folder of a DICOM series.
std::string series_folder_name(const std::string& nifti_name) {
  return nifti_name.substr(0, nifti_name.size() - std::string(".nii.gz").size());
}

// One volume in the data set's format: a .nii.gz file, or a DICOM series in a folder of the same
// stem, as a scanner would export it (its own patient per subject, MR Image Storage, int16 with a
// rescale).
void write_phantom_volume(const PhantomOptions& o, const PhantomVolumeFile& f, const io::Volume& v) {
  const fs::path split = fs::path(o.out) / f.split;
  if (o.format == PhantomFormat::nifti) return io::save_nifti((split / f.file_name).string(), v, v.voxels);
  char id[32];
  std::snprintf(id, sizeof id, "PHANTOM-%03d", f.subject);
  io::DicomWriteOptions options;
  options.patient_id = id;
  options.patient_name = std::string("PHANTOM^") + id;
  options.study_description = "gan_phantom head";
  options.series_description = f.t2 ? "phantom T2w spin echo" : "phantom T1w spin echo";
  options.series_number = f.t2 ? 2 : 1;
  io::save_dicom_series((split / series_folder_name(f.file_name)).string(), v, v.voxels, nullptr, options);
}

bool no_stale_check(const std::string&) { return false; }

}  // namespace

PhantomSummary write_phantom_volumes(const PhantomOptions& o) {
  validate_phantom_options(o);
  // A volume load_nifti (gan_eval, gan_infer, the trainer) could not read back is refused up front.
  const size_t voxels = static_cast<size_t>(o.size) * o.size * o.slices;
  if (voxels > io::kMaxNiftiVoxels) {
    throw InputError("--size/--slices: a volume of " + std::to_string(voxels) + " voxels is over the limit of " +
                     std::to_string(io::kMaxNiftiVoxels));
  }
  auto start = std::chrono::steady_clock::now();
  create_phantom_folders(o);
  const std::vector<PhantomVolumeFile> plan = plan_phantom_volumes(o);

  // Subject by subject (a test subject is rendered once, in both contrasts); the slices of a
  // subject are rendered in parallel.
  std::map<int, std::vector<const PhantomVolumeFile*>> by_subject;
  for (const auto& f : plan) by_subject[f.subject].push_back(&f);
  for (const auto& [subject, files] : by_subject) {
    std::vector<bool> t2s;
    for (const PhantomVolumeFile* f : files) t2s.push_back(f->t2);
    std::vector<io::Volume> volumes = render_subject(o, subject, t2s);
    for (size_t c = 0; c < files.size(); ++c) write_phantom_volume(o, *files[c], volumes[c]);
  }

  PhantomSummary summary;
  summary.files = static_cast<int>(plan.size());
  std::set<std::string> planned;
  for (const auto& f : plan) planned.insert(f.split + "/" + f.file_name);
  // A DICOM series is a folder: save_dicom_series refuses one that already holds DICOM files.
  summary.stale_files = count_stale_phantom_files(
      o, planned, o.format == PhantomFormat::nifti ? io::is_nifti_file_name : no_stale_check);
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace gan::train
