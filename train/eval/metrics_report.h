// Evaluating folders of PNG slices with train/eval/metrics.h: paired (prediction vs target, matched by
// file name) and unpaired (cycle consistency + intensity-distribution distance), with JSON and CSV
// reports. docs/evaluation.md describes the conventions.
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

struct PairedReport {
  std::string pred_dir, target_dir;
  std::vector<ScoredImage> images;  // sorted by name
  ImageMetrics mean;
};
// What is done to each prediction before scoring. `invert` makes the trivial contrast-swap
// baseline from the input images themselves: 1 - p inside the prediction's own foreground mask,
// background kept black.
enum class PredTransform { none, invert };
// Every image file in pred_dir must have a same-named file of the same size in target_dir and vice
// versa; otherwise gan::InputError names the file. Colour images are converted to grey.
PairedReport evaluate_paired(const std::string& pred_dir, const std::string& target_dir,
                             PredTransform transform = PredTransform::none);
// The invert baseline of one image (values in [0, 1], height x width), in place.
void invert_foreground(std::vector<float>& pixels, int height, int width);

struct UnpairedReport {
  std::string input_dir, translated_dir, reconstructed_dir, real_target_dir;
  std::vector<ScoredImage> cycle;  // reconstructed vs input, matched by name
  ImageMetrics cycle_mean;
  // Between the pooled foreground intensities of all translated and all real target images (each
  // image's own foreground mask).
  double wasserstein = 0;
  size_t translated_pixels = 0, target_pixels = 0;
  int translated_images = 0, target_images = 0;
};
UnpairedReport evaluate_unpaired(const std::string& input_dir, const std::string& translated_dir,
                                 const std::string& reconstructed_dir, const std::string& real_target_dir);

// {"psnr", "ssim", "mae", "psnr_fg", "ssim_fg", "mae_fg"}: PSNR capped at kPsnrCap, NaN as null.
nlohmann::json to_json(const ImageMetrics& metrics);
nlohmann::json to_json(const PairedReport& report);
nlohmann::json to_json(const UnpairedReport& report);
std::string to_csv(const std::vector<ScoredImage>& images, const ImageMetrics& mean);

}  // namespace gan::train
