#include "train/data/intensity.h"

#include <algorithm>

namespace gan::train {

float IntensityWindow::to_unit(float x) const {
  return std::clamp((x - lo) / (hi - lo), 0.f, 1.f);
}

IntensityWindow robust_window(const float* voxels, size_t n) {
  std::vector<float> fg;
  fg.reserve(n / 2);
  for (size_t i = 0; i < n; ++i)
    if (voxels[i] != 0.f) fg.push_back(voxels[i]);
  IntensityWindow w;
  if (fg.empty()) return w;
  auto pct = [&](double q) {
    size_t k = static_cast<size_t>(q * static_cast<double>(fg.size() - 1));
    std::nth_element(fg.begin(), fg.begin() + static_cast<std::ptrdiff_t>(k), fg.end());
    return fg[k];
  };
  w.lo = pct(kLowPercentile);
  w.hi = pct(kHighPercentile);
  if (!(w.hi > w.lo)) w.hi = w.lo + 1.f;
  return w;
}

}  // namespace gan::train
