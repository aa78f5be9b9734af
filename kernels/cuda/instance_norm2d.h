// Launchers for instance normalization (kernels/cuda/instance_norm2d.cu), as
// kernels/cpu/instance_norm2d.h: N*C planes of HW values, optional per-channel affine.
// Device pointers; runs on the device's stream.
#pragma once
#include <cstdint>

namespace gan::kernels::cuda {

// weight and bias: both null (no affine) or both C values. Writes mean and inv_std (N*C each).
void instance_norm2d_forward(const float* x, const float* weight, const float* bias, float* y,
                             float* mean_out, float* inv_std_out, int64_t N, int64_t C,
                             int64_t HW, float eps);
// gx, gweight, gbias may each be null; weight is null without affine.
void instance_norm2d_backward(const float* x, const float* weight, const float* mean,
                              const float* inv_std, const float* gy, float* gx, float* gweight,
                              float* gbias, int64_t N, int64_t C, int64_t HW);

}  // namespace gan::kernels::cuda
