#include "train/eval/volume_report.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <system_error>
#include <utility>
#include <vector>

#include "core/error.h"
#include "train/data/intensity.h"
#include "train/eval/volume_metrics.h"
#include "train/io/image_io.h"
#include "train/io/nifti_io.h"

namespace gan::train {

namespace fs = std::filesystem;

namespace {

bool is_folder(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec);
}

// Sorted names of the NIfTI files in dir; InputError if there are none.
std::vector<std::string> nifti_names_in(const std::string& dir) {
  std::error_code ec;
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && io::is_nifti_file_name(name)) names.push_back(name);
  }
  if (ec) throw InputError(dir + ": " + ec.message());
  if (names.empty()) throw InputError(dir + ": no NIfTI files (.nii .nii.gz)");
  std::sort(names.begin(), names.end());
  return names;
}

// Every name in `a` must be in `b`: else "<b_dir>/<name>: missing (present in <a_dir>)".
void require_names(const std::vector<std::string>& a, const std::string& a_dir, const std::vector<std::string>& b,
                   const std::string& b_dir) {
  std::set<std::string> have(b.begin(), b.end());
  for (const auto& name : a)
    if (!have.count(name)) throw InputError((fs::path(b_dir) / name).string() + ": missing (present in " + a_dir + ")");
}

// The (pred, target[, input]) files and the row name of each.
struct VolumePair {
  std::string name, pred, target, input;  // input empty: none given
};

// "--<flag> <path> is a folder but --pred <pred> is a file: ..." unless both are of one kind.
void require_same_kind(const std::string& flag, const std::string& path, bool folder, const std::string& pred,
                       bool pred_folder) {
  if (folder == pred_folder) return;
  throw InputError("--" + flag + " " + path + " is a " + (folder ? "folder" : "file") + " but --pred " + pred +
                   " is a " + (pred_folder ? "folder" : "file") + ": give NIfTI files or folders of them");
}

std::vector<VolumePair> pair_volumes(const std::string& pred, const std::string& target, const std::string& input) {
  const bool pred_folder = is_folder(pred);
  require_same_kind("target", target, is_folder(target), pred, pred_folder);
  if (!input.empty()) require_same_kind("input", input, is_folder(input), pred, pred_folder);
  if (!pred_folder) return {{fs::path(pred).filename().string(), pred, target, input}};
  std::vector<std::string> p = nifti_names_in(pred), t = nifti_names_in(target);
  require_names(p, pred, t, target);
  require_names(t, target, p, pred);
  if (!input.empty()) require_names(p, pred, nifti_names_in(input), input);
  std::vector<VolumePair> pairs;
  for (const auto& name : p)
    pairs.push_back({name, (fs::path(pred) / name).string(), (fs::path(target) / name).string(),
                     input.empty() ? "" : (fs::path(input) / name).string()});
  return pairs;
}

// Loads, checks the grids, normalises (see evaluate_paired_volumes) and scores one pair.
VolumeSums score_pair(const VolumePair& pair, PredTransform transform) {
  io::Volume p = io::load_nifti(pair.pred), t = io::load_nifti(pair.target);
  require_same_grid(p, pair.pred, t, pair.target);
  if (transform == PredTransform::none && pair.input.empty()) return compare_volumes(p, t);
  std::vector<float> t01 = to_unit_range(t.voxels, robust_window(t.voxels));
  std::vector<float> p01 = to_unit_range(p.voxels, robust_window(p.voxels));
  if (transform == PredTransform::invert) invert_foreground_volume(p01, p.nx, p.ny, p.nz);
  std::vector<float> in01;
  if (!pair.input.empty()) {
    io::Volume in = io::load_nifti(pair.input);
    require_same_grid(in, pair.input, p, pair.pred);
    in01 = to_unit_range(in.voxels, robust_window(in.voxels));
  }
  return score_volume(p01.data(), t01.data(), t.nx, t.ny, t.nz, in01.empty() ? nullptr : in01.data());
}

}  // namespace

bool is_volume_input(const std::string& path) {
  if (!is_folder(path)) return io::is_nifti_file_name(path);
  bool volumes = false, images = false;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(path, ec)) {
    if (!entry.is_regular_file()) continue;
    std::string name = entry.path().filename().string();
    volumes = volumes || io::is_nifti_file_name(name);
    images = images || io::is_image_file_name(name);
  }
  if (volumes && images)
    throw InputError(path + ": holds both NIfTI volumes and image files; give a folder of one kind");
  return volumes;
}

VolumeReport evaluate_paired_volumes(const std::string& pred, const std::string& target, PredTransform transform,
                                     const std::string& input) {
  VolumeReport report;
  report.paired.pred_dir = pred, report.paired.target_dir = target, report.paired.input_dir = input;
  VolumeSums pooled;
  for (const VolumePair& pair : pair_volumes(pred, target, input)) {
    VolumeSums sums = score_pair(pair, transform);
    pooled += sums;
    report.paired.images.push_back({pair.name, metrics_from_sums(sums)});
  }
  report.paired.mean = mean_metrics(report.paired.images);
  report.pooled = metrics_from_sums(pooled);
  return report;
}

nlohmann::json to_json(const VolumeReport& report) {
  nlohmann::json j = to_json(report.paired);
  j["kind"] = "volume";
  j["pooled"] = to_json(report.pooled, report.paired.edge_columns());
  return j;
}

}  // namespace gan::train
