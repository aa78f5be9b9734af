// Launcher: y[i] = value for i < n (kernels/cuda/fill.cu). Device pointers; runs on the device's
// stream.
#pragma once
#include <cstdint>

namespace gan::kernels::cuda {

void fill(float* y, int64_t n, float value);

}  // namespace gan::kernels::cuda
