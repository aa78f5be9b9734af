// gan_slices: writes the 2-D slices of MRI volumes as 16-bit PNG files, exactly as training sees
// them: along --slice-axis in the patient's frame (train/data/volume_slices.h), each volume mapped
// to [0, 1] by its robust intensity window (train/data/intensity.h), resampled to square pixels.
//   gan_slices --input VOLUME_OR_FOLDER --output DIR [--slice-axis axial] [--min-foreground 0]
// VOLUME_OR_FOLDER: a NIfTI file, a folder of NIfTI files, or a folder of one DICOM series.
// Files are named <volume>_<axis>_<NNN>.png (NNN = slice index), so the slices of two volumes on
// the same grid (a translation and its reference) pair up by name for gan_eval.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <string>

#include "core/error.h"
#include "train/data/domain_data.h"
#include "train/data/intensity.h"
#include "train/data/volume_slices.h"
#include "train/io/image_io.h"
#include "tools/parse_command_line.h"

namespace fs = std::filesystem;

namespace {

// "subj012.nii.gz" -> "subj012"; a DICOM series -> its folder's name, with the series UID when
// the folder holds several series (find_volumes then names each "<folder> (series <uid>)").
std::string stem_of(const gan::train::VolumeSource& s) {
  if (s.kind == gan::train::VolumeSource::Kind::dicom) {
    const std::string folder = fs::path(s.series.folder).filename().string();
    return s.name == s.series.folder ? folder : folder + "_" + s.series.series_uid;
  }
  std::string name = fs::path(s.path).filename().string();
  for (const char* ext : {".nii.gz", ".nii", ".NII.GZ", ".NII"}) {
    const std::string e(ext);
    if (name.size() > e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0)
      return name.substr(0, name.size() - e.size());
  }
  return name;
}

}  // namespace

int main(int argc, char** argv) {
  std::string input, output, axis_name = "axial";
  double min_foreground = 0;
  CLI::App app{"Writes the slices of MRI volumes as 16-bit PNG files, as training sees them."};
  app.add_option("--input", input, "NIfTI volume, folder of NIfTI volumes, or folder of one DICOM series")->required();
  app.add_option("--output", output, "Folder for the PNG files")->required();
  app.add_option("--slice-axis", axis_name, "axial, coronal or sagittal")->capture_default_str();
  app.add_option("--min-foreground", min_foreground,
                 "Skip slices whose head covers less than this fraction of the image")->capture_default_str();
  if (const int rc = gan::tools::parse_command_line(app, "gan_slices", argc, argv); rc >= 0)
    return rc;
  try {
    const gan::train::SliceAxis axis = gan::train::parse_slice_axis(axis_name);
    std::vector<gan::train::VolumeSource> sources;
    if (fs::is_directory(input)) {
      sources = gan::train::find_volumes(input);
    } else if (gan::io::is_nifti_file_name(input)) {
      gan::train::VolumeSource s;
      s.name = s.path = input;
      sources.push_back(s);
    }
    if (sources.empty()) throw gan::InputError(input + ": no NIfTI volume or DICOM series");
    std::error_code ec;
    fs::create_directories(output, ec);
    if (ec) throw gan::InputError(output + ": cannot create the folder: " + ec.message());
    int written = 0;
    for (const auto& source : sources) {
      const gan::io::Volume v = gan::train::load_volume(source);
      const gan::train::IntensityWindow window = gan::train::robust_window(v.voxels);
      const gan::train::SlicePlan plan = gan::train::plan_slices(v, axis);
      for (int k = 0; k < plan.count; ++k) {
        gan::io::Image img = gan::train::normalised_slice(v, plan, k, window);
        if (gan::train::foreground_fraction(img.pixels.data(), img.pixels.size()) < min_foreground) continue;
        char suffix[64];
        std::snprintf(suffix, sizeof suffix, "_%s_%03d.png", axis_name.c_str(), k);
        gan::io::save_png((fs::path(output) / (stem_of(source) + suffix)).string(),
                          gan::train::to_square_pixels(img, plan), 16);
        ++written;
      }
    }
    std::printf("gan_slices: %d %s slices of %zu volumes to %s\n", written, axis_name.c_str(), sources.size(),
                output.c_str());
  } catch (const gan::InputError& e) {
    std::fprintf(stderr, "gan_slices: error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gan_slices: error: %s\n", e.what());
    return 2;
  }
  return 0;
}
