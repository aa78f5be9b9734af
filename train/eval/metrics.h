// Image-quality metrics for evaluating translations: PSNR, SSIM, MAE (whole slice or inside a
// foreground mask) and the 1-D Wasserstein distance between intensity distributions. Images are
// grey, values in [0, 1], row-major; data range 1. docs/evaluation.md states every convention.
#pragma once
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace gan::train {

// PSNR of identical images is infinite; reports (JSON, CSV, means) cap it at this value.
constexpr double kPsnrCap = 100.0;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Mean of the squared / absolute differences over the pixels where mask != 0 (all if mask is null).
// NaN when the mask selects no pixel.
double mean_squared_error(const float* a, const float* b, size_t n, const uint8_t* mask = nullptr);
double mean_absolute_error(const float* a, const float* b, size_t n, const uint8_t* mask = nullptr);
// 10 log10(range^2 / mse); +inf for mse == 0.
double psnr_from_mse(double mse, double data_range = 1.0);

// Mean SSIM (Wang et al. 2004) with an 11x11 Gaussian window (sigma 1.5, weights normalised to
// sum 1), K1 = 0.01, K2 = 0.03, L = data_range, population (biased) variances, averaged over the
// window positions that lie entirely inside the image (no padding); with a mask, over the positions
// whose centre pixel is in the mask. Same as skimage's structural_similarity(gaussian_weights=True,
// sigma=1.5, use_sample_covariance=False, data_range=1). NaN when no position qualifies.
// Throws gan::InputError if the image is smaller than 11x11.
double ssim(const float* a, const float* b, int height, int width, const uint8_t* mask = nullptr,
            double data_range = 1.0);
constexpr int kSsimWindow = 11;

// Foreground of a slice: pixels > threshold, dilated by `dilation` pixels (square neighbourhood),
// with holes filled (everything not connected to the border through background is foreground).
std::vector<uint8_t> foreground_mask(const float* image, int height, int width, double threshold = 0.05,
                                     int dilation = 2);

// Exact 1-D Wasserstein-1 (earth mover's) distance between the empirical distributions of two
// samples: the integral of |F_a - F_b|. NaN if either is empty.
double wasserstein_1d(std::vector<float> a, std::vector<float> b);

struct ImageMetrics {
  double psnr = 0, ssim = 0, mae = 0;           // whole slice
  double psnr_fg = 0, ssim_fg = 0, mae_fg = 0;  // inside the foreground mask of the reference
  // The structure scores (structure_score.h) against the translation's input, set by the reports
  // when an input is given, else NaN: edge_corr of the prediction (or translation), and the same
  // score of the real target, the value a true image of the target contrast reaches.
  double edge_corr = kNaN, edge_corr_target = kNaN;
};
// pred against reference (height x width each); the mask comes from the reference.
ImageMetrics compare_images(const float* pred, const float* reference, int height, int width);

}  // namespace gan::train
