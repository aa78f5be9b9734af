// Launchers for 2-d reflection padding (kernels/cuda/reflection_pad2d.cu), layout as
// kernels/cpu/reflection_pad2d.h: `planes` = N*C planes of H x W in, (H+2pad) x (W+2pad) out,
// pad < H and pad < W. Device pointers; runs on the device's stream.
#pragma once
#include <cstdint>

namespace gan::kernels::cuda {

void reflection_pad2d_forward(const float* x, float* y, int64_t planes, int64_t H, int64_t W,
                              int64_t pad);
void reflection_pad2d_backward(const float* gy, float* gx, int64_t planes, int64_t H, int64_t W,
                               int64_t pad);

}  // namespace gan::kernels::cuda
