// Launchers for the elementwise losses (kernels/cuda/losses.cu). The target is n values (t) or,
// with t == nullptr, the constant t_const. Device pointers; runs on the device's stream.
#pragma once
#include <cstdint>

#include "kernels/common/op_kinds.h"

namespace gan::kernels::cuda {

// y[0] = scale * sum_i loss(x[i], t[i]) (scale = 1/n for the mean). Deterministic: fixed-order
// block partials, then one final pass; no atomics.
void loss_sum(Loss loss, const float* x, const float* t, float t_const, int64_t n, float scale,
              float* y);
// gx = gy[0] * scale * d/dx, gt = gy[0] * scale * d/dt; gy is the one-element upstream gradient
// on the device (read there, no host sync). gx or gt may be null; gt is ignored without t.
void loss_backward(Loss loss, const float* x, const float* t, float t_const, const float* gy,
                   float scale, float* gx, float* gt, int64_t n);

}  // namespace gan::kernels::cuda
