// Evaluating folders of PNG slices with train/eval/metrics.h: paired (prediction vs target, matched by
// file name) and unpaired (cycle consistency + intensity-distribution distance), both with the
// structure score against the input (structure_score.h), with JSON and CSV reports.
// docs/evaluation.md describes the conventions.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "train/eval/metrics.h"

namespace gan::train {

struct ScoredImage {
  std::string name;
  ImageMetrics metrics;
};

// Means over images of each metric (PSNR capped at kPsnrCap first; NaN entries skipped).
ImageMetrics mean_metrics(const std::vector<ScoredImage>& images);

// Which structure scores a report carries (the JSON keys and CSV columns it writes):
// none; edge_corr (unpaired: translated vs input); edge_corr and edge_corr_target (paired with an
// input: prediction vs input, real target vs input).
enum class EdgeColumns { none, translation, translation_and_target };

struct PairedReport {
  std::string pred_dir, target_dir;
  std::string input_dir;            // empty: no input given, no structure scores
  std::vector<ScoredImage> images;  // sorted by name
  ImageMetrics mean;
  EdgeColumns edge_columns() const {
    return input_dir.empty() ? EdgeColumns::none : EdgeColumns::translation_and_target;
  }
};
// What is done to each prediction before scoring. `invert` makes the trivial contrast-swap
// baseline from the input images themselves: 1 - p inside the prediction's own foreground mask,
// background kept black.
enum class PredTransform { none, invert };
// Every image file in pred_dir must have a same-named file of the same size in target_dir and vice
// versa; otherwise gan::InputError names the file. Colour images are converted to grey. With an
// input_dir (the images the predictions were translated from), every prediction also needs a
// same-named, same-sized input, and each image gets edge_corr (prediction, after the transform,
// vs input) and edge_corr_target (target vs input).
PairedReport evaluate_paired(const std::string& pred_dir, const std::string& target_dir,
                             PredTransform transform = PredTransform::none,
                             const std::string& input_dir = "");
// The invert baseline of one image (values in [0, 1], height x width), in place.
void invert_foreground(std::vector<float>& pixels, int height, int width);

struct UnpairedReport {
  std::string input_dir, translated_dir, reconstructed_dir, real_target_dir;
  // Reconstructed vs input, matched by name; besides, each row's edge_corr is that of the
  // same-named translated image vs the input (the structure score of the translation).
  std::vector<ScoredImage> cycle;
  ImageMetrics cycle_mean;
  // Between the pooled foreground intensities of all translated and all real target images (each
  // image's own foreground mask).
  double wasserstein = 0;
  size_t translated_pixels = 0, target_pixels = 0;
  int translated_images = 0, target_images = 0;
};
// Every input needs a same-named, same-sized image in reconstructed_dir and in translated_dir,
// else gan::InputError names the missing file.
UnpairedReport evaluate_unpaired(const std::string& input_dir, const std::string& translated_dir,
                                 const std::string& reconstructed_dir, const std::string& real_target_dir);

// {"psnr", "ssim", "mae", "psnr_fg", "ssim_fg", "mae_fg"} and the structure scores `edges` names:
// PSNR capped at kPsnrCap, NaN as null.
nlohmann::json to_json(const ImageMetrics& metrics, EdgeColumns edges = EdgeColumns::none);
nlohmann::json to_json(const PairedReport& report);
nlohmann::json to_json(const UnpairedReport& report);
// name,psnr,ssim,mae,psnr_fg,ssim_fg,mae_fg[,edge_corr[,edge_corr_target]]: one row per image and
// a last row "mean".
std::string to_csv(const std::vector<ScoredImage>& images, const ImageMetrics& mean,
                   EdgeColumns edges = EdgeColumns::none);

}  // namespace gan::train
