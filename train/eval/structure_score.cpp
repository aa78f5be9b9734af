#include "train/eval/structure_score.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "train/eval/metrics.h"

namespace gan::train {

std::vector<float> sobel_magnitude(const float* image, int height, int width) {
  std::vector<float> out(static_cast<size_t>(height) * width, 0.f);
  auto at = [&](int y, int x) { return static_cast<double>(image[static_cast<size_t>(y) * width + x]); };
  for (int y = 1; y + 1 < height; ++y)
    for (int x = 1; x + 1 < width; ++x) {
      const double gx = (at(y - 1, x + 1) + 2 * at(y, x + 1) + at(y + 1, x + 1) - at(y - 1, x - 1) -
                         2 * at(y, x - 1) - at(y + 1, x - 1)) / 8;
      const double gy = (at(y + 1, x - 1) + 2 * at(y + 1, x) + at(y + 1, x + 1) - at(y - 1, x - 1) -
                         2 * at(y - 1, x) - at(y - 1, x + 1)) / 8;
      out[static_cast<size_t>(y) * width + x] = static_cast<float>(std::sqrt(gx * gx + gy * gy));
    }
  return out;
}

EdgeSums& EdgeSums::operator+=(const EdgeSums& o) {
  n += o.n, x += o.x, y += o.y, xx += o.xx, yy += o.yy, xy += o.xy;
  return *this;
}

double EdgeSums::correlation() const {
  if (n < 2) return std::numeric_limits<double>::quiet_NaN();
  // Centred moments times n; a side whose spread is at rounding level is constant.
  const double cxx = xx - x * x / n, cyy = yy - y * y / n, cxy = xy - x * y / n;
  if (!(cxx > 1e-12 * xx) || !(cyy > 1e-12 * yy))
    return std::numeric_limits<double>::quiet_NaN();
  return std::clamp(cxy / std::sqrt(cxx * cyy), -1.0, 1.0);
}

EdgeSums edge_sums(const float* input, const float* translation, int height, int width, const uint8_t* mask) {
  const std::vector<float> gi = sobel_magnitude(input, height, width);
  const std::vector<float> gt = sobel_magnitude(translation, height, width);
  EdgeSums s;
  for (int y = 1; y + 1 < height; ++y)
    for (int x = 1; x + 1 < width; ++x) {
      const size_t i = static_cast<size_t>(y) * width + x;
      if (mask && !mask[i]) continue;
      const double a = gi[i], b = gt[i];
      s.n += 1, s.x += a, s.y += b, s.xx += a * a, s.yy += b * b, s.xy += a * b;
    }
  return s;
}

double edge_correlation(const float* input, const float* translation, int height, int width) {
  const std::vector<uint8_t> mask = foreground_mask(input, height, width);
  return edge_sums(input, translation, height, width, mask.data()).correlation();
}

}  // namespace gan::train
