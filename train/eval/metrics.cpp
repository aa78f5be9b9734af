#include "train/eval/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "core/error.h"

namespace gan::train {

double mean_squared_error(const float* a, const float* b, size_t n, const uint8_t* mask) {
  double sum = 0;
  size_t count = 0;
  for (size_t i = 0; i < n; ++i) {
    if (mask && !mask[i]) continue;
    double d = static_cast<double>(a[i]) - b[i];
    sum += d * d;
    ++count;
  }
  return count ? sum / count : kNaN;
}

double mean_absolute_error(const float* a, const float* b, size_t n, const uint8_t* mask) {
  double sum = 0;
  size_t count = 0;
  for (size_t i = 0; i < n; ++i) {
    if (mask && !mask[i]) continue;
    sum += std::abs(static_cast<double>(a[i]) - b[i]);
    ++count;
  }
  return count ? sum / count : kNaN;
}

double psnr_from_mse(double mse, double data_range) {
  if (std::isnan(mse)) return kNaN;
  if (mse <= 0) return std::numeric_limits<double>::infinity();
  return 10 * std::log10(data_range * data_range / mse);
}

double ssim(const float* a, const float* b, int height, int width, const uint8_t* mask, double data_range) {
  constexpr int k = kSsimWindow, r = kSsimWindow / 2;
  if (height < k || width < k) {
    throw InputError("ssim: image " + std::to_string(width) + "x" + std::to_string(height) + " is smaller than the " +
                     std::to_string(k) + "x" + std::to_string(k) + " window");
  }
  double g[k], gsum = 0;
  for (int i = 0; i < k; ++i) gsum += g[i] = std::exp(-0.5 * (i - r) * (i - r) / (1.5 * 1.5));
  for (double& v : g) v /= gsum;
  const double c1 = (0.01 * data_range) * (0.01 * data_range), c2 = (0.03 * data_range) * (0.03 * data_range);

  // Separable Gaussian filter, 'valid' positions only: first along x for every row, then along y.
  const int ow = width - k + 1, oh = height - k + 1;
  std::vector<double> rows(static_cast<size_t>(height) * ow * 5);  // [y][x][a, b, aa, bb, ab]
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < ow; ++x) {
      double s[5] = {};
      for (int i = 0; i < k; ++i) {
        double va = a[static_cast<size_t>(y) * width + x + i], vb = b[static_cast<size_t>(y) * width + x + i];
        s[0] += g[i] * va, s[1] += g[i] * vb, s[2] += g[i] * va * va, s[3] += g[i] * vb * vb, s[4] += g[i] * va * vb;
      }
      std::copy(s, s + 5, &rows[(static_cast<size_t>(y) * ow + x) * 5]);
    }
  }
  double total = 0;
  size_t count = 0;
  for (int y = 0; y < oh; ++y) {
    for (int x = 0; x < ow; ++x) {
      if (mask && !mask[static_cast<size_t>(y + r) * width + x + r]) continue;
      double s[5] = {};
      for (int i = 0; i < k; ++i) {
        const double* p = &rows[(static_cast<size_t>(y + i) * ow + x) * 5];
        for (int c = 0; c < 5; ++c) s[c] += g[i] * p[c];
      }
      double mu_a = s[0], mu_b = s[1];
      double var_a = s[2] - mu_a * mu_a, var_b = s[3] - mu_b * mu_b, cov = s[4] - mu_a * mu_b;
      total += ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a * mu_a + mu_b * mu_b + c1) * (var_a + var_b + c2));
      ++count;
    }
  }
  return count ? total / count : kNaN;
}

std::vector<uint8_t> foreground_mask(const float* image, int height, int width, double threshold, int dilation) {
  const size_t n = static_cast<size_t>(height) * width;
  std::vector<uint8_t> above(n), mask(n, 0);
  for (size_t i = 0; i < n; ++i) above[i] = image[i] > threshold;
  // Square dilation, separable: along x, then along y.
  std::vector<uint8_t> tmp(n, 0);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int d = -dilation; d <= dilation && !tmp[static_cast<size_t>(y) * width + x]; ++d) {
        int xx = x + d;
        if (xx >= 0 && xx < width && above[static_cast<size_t>(y) * width + xx]) tmp[static_cast<size_t>(y) * width + x] = 1;
      }
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int d = -dilation; d <= dilation && !mask[static_cast<size_t>(y) * width + x]; ++d) {
        int yy = y + d;
        if (yy >= 0 && yy < height && tmp[static_cast<size_t>(yy) * width + x]) mask[static_cast<size_t>(y) * width + x] = 1;
      }
  // Fill holes: flood the background from the border; what it can't reach is foreground.
  std::vector<uint8_t> outside(n, 0);
  std::vector<size_t> stack;
  auto push = [&](int y, int x) {
    size_t i = static_cast<size_t>(y) * width + x;
    if (!mask[i] && !outside[i]) outside[i] = 1, stack.push_back(i);
  };
  for (int x = 0; x < width; ++x) push(0, x), push(height - 1, x);
  for (int y = 0; y < height; ++y) push(y, 0), push(y, width - 1);
  while (!stack.empty()) {
    size_t i = stack.back();
    stack.pop_back();
    int y = static_cast<int>(i / width), x = static_cast<int>(i % width);
    if (y > 0) push(y - 1, x);
    if (y + 1 < height) push(y + 1, x);
    if (x > 0) push(y, x - 1);
    if (x + 1 < width) push(y, x + 1);
  }
  for (size_t i = 0; i < n; ++i) mask[i] = !outside[i];
  return mask;
}

double wasserstein_1d(std::vector<float> a, std::vector<float> b) {
  if (a.empty() || b.empty()) return kNaN;
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  const double na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
  size_t i = 0, j = 0;
  double prev = std::min(a[0], b[0]), w = 0;
  // Between consecutive sample values both CDFs are constant: add |F_a - F_b| * gap.
  while (i < a.size() || j < b.size()) {
    double x = (j >= b.size() || (i < a.size() && a[i] <= b[j])) ? a[i] : b[j];
    w += std::abs(i / na - j / nb) * (x - prev);
    prev = x;
    while (i < a.size() && a[i] == x) ++i;
    while (j < b.size() && b[j] == x) ++j;
  }
  return w;
}

ImageMetrics compare_images(const float* pred, const float* reference, int height, int width) {
  const size_t n = static_cast<size_t>(height) * width;
  std::vector<uint8_t> mask = foreground_mask(reference, height, width);
  ImageMetrics m;
  m.psnr = psnr_from_mse(mean_squared_error(pred, reference, n));
  m.mae = mean_absolute_error(pred, reference, n);
  m.ssim = ssim(pred, reference, height, width);
  m.psnr_fg = psnr_from_mse(mean_squared_error(pred, reference, n, mask.data()));
  m.mae_fg = mean_absolute_error(pred, reference, n, mask.data());
  m.ssim_fg = ssim(pred, reference, height, width, mask.data());
  return m;
}

}  // namespace gan::train
