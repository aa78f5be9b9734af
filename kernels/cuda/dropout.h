// Launcher for dropout (kernels/cuda/dropout.cu): y[i] = x[i] * scale if element i is kept, else
// 0, with the CPU's mask (kernels/cpu/dropout.h): keep iff
//   rng::keep_element(rng::philox_at(seed, stream, i).v[0], drop_threshold24).
// The same call serves the backward (gy -> gx). Device pointers; the device's stream.
#pragma once
#include <cstdint>

namespace gan::kernels::cuda {

void dropout_apply(const float* x, float* y, int64_t n, uint64_t seed, uint64_t stream,
                   uint32_t drop_threshold24, float scale);

}  // namespace gan::kernels::cuda
