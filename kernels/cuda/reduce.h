// Launcher: y[0] = scale * sum(x[0..n)) (kernels/cuda/reduce.cu). Deterministic: fixed-order
// partial sums, no atomics. Device pointers; runs on the device's stream.
#pragma once
#include <cstdint>

namespace gan::kernels::cuda {

void sum_all(const float* x, float* y, int64_t n, float scale);

}  // namespace gan::kernels::cuda
