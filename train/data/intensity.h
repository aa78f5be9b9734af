// Per-volume intensity normalisation, shared by training (volumes read by the data loader), by
// gan_infer (volumes in, volumes out) and by gan_eval (volume scores): MRI intensities have no
// absolute scale, so each volume is mapped to [0, 1] by robust percentiles of its non-zero
// voxels (zero is the background of most scans and of skull-stripped data) and clipped.
#pragma once
#include <cstddef>
#include <vector>

namespace gan::train {

struct IntensityWindow {
  float lo = 0.f, hi = 1.f;  // hi > lo always
  // x -> (x - lo) / (hi - lo), clipped to [0, 1].
  float to_unit(float x) const;
  // The inverse on [0, 1]: u -> lo + u (hi - lo).
  float from_unit(float u) const { return lo + u * (hi - lo); }
};

// Percentiles kLowPercentile and kHighPercentile of the non-zero voxels (nearest rank). A volume
// with no non-zero voxel gets {0, 1}; a constant one {v, v + 1}.
constexpr double kLowPercentile = 0.005, kHighPercentile = 0.995;
IntensityWindow robust_window(const float* voxels, size_t n);
inline IntensityWindow robust_window(const std::vector<float>& v) { return robust_window(v.data(), v.size()); }

}  // namespace gan::train
