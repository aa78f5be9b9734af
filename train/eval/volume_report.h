// gan_eval's volume mode: NIfTI volumes (two files, or two folders matched by file name) scored with
// volume_metrics.h and reported in the JSON/CSV shape of the slice mode (metrics_report.h), one row
// per volume. docs/evaluation.md ("Volume mode") describes the conventions.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "train/eval/metrics_report.h"

namespace gan::train {

struct VolumeReport {
  // images: one row per volume, named by the prediction's file name, sorted; mean: over volumes.
  PairedReport paired;
  // All volumes together: PSNR and MAE over the pooled voxels, SSIM over the pooled slices.
  ImageMetrics pooled;
};

// True when `path` is a NIfTI file name (.nii, .nii.gz) or a folder holding NIfTI files and no
// image files; false for anything else (left to the slice mode and its errors). A folder holding
// both kinds throws gan::InputError naming it.
bool is_volume_input(const std::string& path);

// pred and target: two NIfTI files, or two folders whose NIfTI files are matched by name (each file
// needs a same-named partner, else gan::InputError naming the missing one). Every pair must be on
// the same grid (require_same_grid). Each is mapped to [0, 1] with its own robust_window; the
// invert baseline then takes 1 - x inside each slice's foreground of the prediction. With an
// input (a NIfTI file when pred is one, else a folder with a same-named partner of every
// prediction, on the same grid, mapped to [0, 1] with its own window), each volume also gets
// edge_corr and edge_corr_target, pooled over its axial slices.
VolumeReport evaluate_paired_volumes(const std::string& pred, const std::string& target,
                                     PredTransform transform = PredTransform::none,
                                     const std::string& input = "");

// to_json(report.paired) plus "kind": "volume" and "pooled": {metrics, and the structure scores
// when there is an input}.
nlohmann::json to_json(const VolumeReport& report);

}  // namespace gan::train
