#include "train/io/nifti_io.h"

#include <nifti1_io.h>
#include <znzlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <stdexcept>

#include "core/error.h"
#include "train/io/atomic_file.h"

namespace gan::io {
namespace {

struct NiftiFree {
  void operator()(nifti_image* p) const { nifti_image_free(p); }
};
using NiftiPtr = std::unique_ptr<nifti_image, NiftiFree>;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

const char* datatype_name(int dt) {
  const char* s = nifti_datatype_string(dt);
  return s ? s : "unknown";
}

template <class T>
void convert(const void* src, size_t n, float slope, float inter, std::vector<float>& out) {
  const T* p = static_cast<const T*>(src);
  out.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(p[i]) * slope + inter;
    // A double outside float's range may not be cast (undefined behaviour): it becomes +-inf.
    constexpr float inf = std::numeric_limits<float>::infinity();
    out[i] = std::fabs(d) <= std::numeric_limits<float>::max() ? static_cast<float>(d)
             : std::isnan(d)                                    ? std::numeric_limits<float>::quiet_NaN()
             : d > 0                                            ? inf
                                                                : -inf;
  }
}

}  // namespace

bool is_nifti_file_name(const std::string& path) {
  std::string l = lower(path);
  return ends_with(l, ".nii") || ends_with(l, ".nii.gz");
}

Affine voxel_to_ras(const NiftiGeometry& g) {
  Affine a{};
  if (g.sform_code > 0) {
    for (int r = 0; r < 4; ++r)
      for (int c = 0; c < 4; ++c) a[r][c] = g.srow[r][c];
    a[3] = {0, 0, 0, 1};
    return a;
  }
  if (g.qform_code > 0) {
    const mat44 m = nifti_quatern_to_mat44(g.quatern_b, g.quatern_c, g.quatern_d, g.qoffset_x,
                                           g.qoffset_y, g.qoffset_z, g.pixdim[1], g.pixdim[2],
                                           g.pixdim[3], g.qfac < 0 ? -1.f : 1.f);
    for (int r = 0; r < 4; ++r)
      for (int c = 0; c < 4; ++c) a[r][c] = m.m[r][c];
    return a;
  }
  for (int i = 0; i < 3; ++i) a[i][i] = g.pixdim[i + 1] > 0 ? g.pixdim[i + 1] : 1.0;
  a[3][3] = 1;
  return a;
}

Volume load_nifti(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) throw InputError(path + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw InputError(path + ": not a regular file");
  NiftiPtr nim(nifti_image_read(path.c_str(), 0));  // header only: validate before reading data
  if (!nim) throw InputError(path + ": not a readable NIfTI file");
  if (nim->ndim < 2 || nim->ndim > 7)
    throw InputError(path + ": " + std::to_string(nim->ndim) + "-D image, expected 3-D");
  for (int i = 1; i <= nim->ndim; ++i) {
    if (nim->dim[i] < 1 || nim->dim[i] > kMaxNiftiDim)
      throw InputError(path + ": dim[" + std::to_string(i) + "] = " + std::to_string(nim->dim[i]) +
                       " out of range 1.." + std::to_string(kMaxNiftiDim));
    if (i >= 4 && nim->dim[i] != 1)
      throw InputError(path + ": " + std::to_string(nim->ndim) + "-D image with dim[" +
                       std::to_string(i) + "] = " + std::to_string(nim->dim[i]) +
                       ", expected a single 3-D volume");
  }
  Volume v;
  v.nx = nim->dim[1];
  v.ny = nim->dim[2];
  v.nz = nim->ndim >= 3 ? nim->dim[3] : 1;
  const size_t n = static_cast<size_t>(v.nx) * v.ny * v.nz;
  if (n > kMaxNiftiVoxels)
    throw InputError(path + ": " + std::to_string(n) + " voxels over the limit of " +
                     std::to_string(kMaxNiftiVoxels));
  switch (nim->datatype) {
    case DT_UINT8: case DT_INT16: case DT_UINT16: case DT_INT32: case DT_FLOAT32: case DT_FLOAT64:
      break;
    default:
      throw InputError(path + ": unsupported datatype " + datatype_name(nim->datatype) +
                       " (supported: uint8, int16, uint16, int32, float32, float64)");
  }
  // Read the voxel data ourselves: nifti_image_load zero-fills a short file and reports success.
  // The buffer grows with the data actually read (chunks of at most 16 MB), so a small file whose
  // header claims a huge volume fails as truncated without a huge allocation first.
  const size_t bytes = n * static_cast<size_t>(nim->nbyper);
  std::vector<char> raw;
  {
    const char* iname = nim->iname ? nim->iname : path.c_str();
    znzFile fp = znzopen(iname, "rb", nifti_is_gzfile(iname));
    if (znz_isnull(fp)) throw InputError(path + ": cannot open the voxel data file " + iname);
    size_t got = 0;
    if (znzseek(fp, static_cast<long>(nim->iname_offset), SEEK_SET) >= 0) {
      while (got < bytes) {
        size_t chunk = std::min<size_t>(bytes - got, size_t(16) << 20);
        raw.resize(got + chunk);
        size_t r = znzread(raw.data() + got, 1, chunk, fp);
        got += r;
        if (r < chunk) break;
      }
    }
    znzclose(fp);
    if (got < bytes)
      throw InputError(path + ": truncated voxel data (" + std::to_string(got) + " of " +
                       std::to_string(bytes) + " bytes for " + std::to_string(n) + " voxels of " +
                       datatype_name(nim->datatype) + ")");
  }
  if (nim->nbyper > 1 && nim->byteorder != nifti_short_order())
    nifti_swap_Nbytes(n, nim->nbyper, raw.data());
  const void* data = raw.data();
  v.datatype = nim->datatype;

  // NIfTI rule: scl_slope 0 (or not finite) means no scaling.
  float slope = nim->scl_slope, inter = nim->scl_inter;
  if (slope == 0.f || !std::isfinite(slope)) slope = 1.f, inter = 0.f;
  if (!std::isfinite(inter)) inter = 0.f;
  switch (nim->datatype) {
    case DT_UINT8: convert<uint8_t>(data, n, slope, inter, v.voxels); break;
    case DT_INT16: convert<int16_t>(data, n, slope, inter, v.voxels); break;
    case DT_UINT16: convert<uint16_t>(data, n, slope, inter, v.voxels); break;
    case DT_INT32: convert<int32_t>(data, n, slope, inter, v.voxels); break;
    case DT_FLOAT32: convert<float>(data, n, slope, inter, v.voxels); break;
    case DT_FLOAT64: convert<double>(data, n, slope, inter, v.voxels); break;
  }
  // NaN outside a brain mask is a common convention of float volumes (e.g. after registration);
  // such voxels become background (0) and are counted for the caller to report. A volume with no
  // finite voxel at all carries no image.
  for (float& x : v.voxels)
    if (!std::isfinite(x)) x = 0.f, ++v.nonfinite_voxels;
  if (v.nonfinite_voxels == n) throw InputError(path + ": no finite voxel (all NaN or infinite)");

  NiftiGeometry& g = v.geometry;
  for (int i = 0; i < 8; ++i) g.pixdim[i] = nim->pixdim[i];
  g.qform_code = nim->qform_code;
  g.sform_code = nim->sform_code;
  g.quatern_b = nim->quatern_b;
  g.quatern_c = nim->quatern_c;
  g.quatern_d = nim->quatern_d;
  g.qoffset_x = nim->qoffset_x;
  g.qoffset_y = nim->qoffset_y;
  g.qoffset_z = nim->qoffset_z;
  g.qfac = nim->qfac;
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) g.srow[r][c] = nim->sto_xyz.m[r][c];
  g.xyz_units = nim->xyz_units;
  g.time_units = nim->time_units;
  g.descrip = std::string(nim->descrip, strnlen(nim->descrip, sizeof(nim->descrip)));
  return v;
}

void save_nifti(const std::string& path, const Volume& like, const std::vector<float>& voxels) {
  const size_t n = static_cast<size_t>(like.nx) * like.ny * like.nz;
  if (like.nx < 1 || like.ny < 1 || like.nz < 1)
    throw std::invalid_argument("save_nifti: empty volume");
  if (voxels.size() != n)
    throw std::invalid_argument("save_nifti: " + std::to_string(voxels.size()) +
                                " voxels for a volume of " + std::to_string(n));
  if (!is_nifti_file_name(path))
    throw std::invalid_argument("save_nifti: " + path + ": expected a .nii or .nii.gz file name");
  const NiftiGeometry& g = like.geometry;
  int dims[8] = {3, like.nx, like.ny, like.nz, 1, 1, 1, 1};
  NiftiPtr nim(nifti_make_new_nim(dims, DT_FLOAT32, 0));
  if (!nim) throw std::runtime_error("save_nifti: nifti_make_new_nim failed");
  nim->pixdim[0] = g.qfac;
  for (int i = 1; i < 8; ++i) nim->pixdim[i] = i <= 3 ? g.pixdim[i] : 0.f;
  nim->dx = g.pixdim[1];
  nim->dy = g.pixdim[2];
  nim->dz = g.pixdim[3];
  nim->scl_slope = 1.f;
  nim->scl_inter = 0.f;
  nim->qform_code = g.qform_code;
  nim->sform_code = g.sform_code;
  nim->quatern_b = g.quatern_b;
  nim->quatern_c = g.quatern_c;
  nim->quatern_d = g.quatern_d;
  nim->qoffset_x = g.qoffset_x;
  nim->qoffset_y = g.qoffset_y;
  nim->qoffset_z = g.qoffset_z;
  nim->qfac = g.qfac;
  nim->qto_xyz = nifti_quatern_to_mat44(g.quatern_b, g.quatern_c, g.quatern_d, g.qoffset_x,
                                        g.qoffset_y, g.qoffset_z, g.pixdim[1], g.pixdim[2],
                                        g.pixdim[3], g.qfac);
  nim->qto_ijk = nifti_mat44_inverse(nim->qto_xyz);
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) nim->sto_xyz.m[r][c] = g.srow[r][c];
  if (g.sform_code > 0) nim->sto_ijk = nifti_mat44_inverse(nim->sto_xyz);
  nim->xyz_units = g.xyz_units;
  nim->time_units = g.time_units;
  std::snprintf(nim->descrip, sizeof(nim->descrip), "%s", g.descrip.c_str());
  // Display range from the data, so viewers window the result sensibly.
  float lo = 0.f, hi = 0.f;
  if (n > 0) {
    auto [mn, mx] = std::minmax_element(voxels.begin(), voxels.end());
    lo = *mn, hi = *mx;
  }
  nim->cal_min = lo;
  nim->cal_max = hi;

  write_file_atomic_via_path(path, [&](const std::string& temp) {
    if (nifti_set_filenames(nim.get(), temp.c_str(), 0, 1) != 0)
      throw InputError(path + ": niftilib refused the file name");
    nim->nifti_type = NIFTI_FTYPE_NIFTI1_1;
    nim->data = const_cast<float*>(voxels.data());  // written, not modified
    nifti_image_write(nim.get());
    nim->data = nullptr;
    // nifti_image_write reports nothing; check what reached the disk.
    struct stat st;
    if (::stat(temp.c_str(), &st) == 0 && !ends_with(lower(temp), ".gz")) {
      const off_t expected = static_cast<off_t>(nim->iname_offset) + static_cast<off_t>(n * 4);
      if (st.st_size < expected) {
        ::unlink(temp.c_str());
        throw InputError(path + ": short write (" + std::to_string(st.st_size) + " of " +
                         std::to_string(expected) + " bytes; disk full?)");
      }
    }
  });
}

}  // namespace gan::io
