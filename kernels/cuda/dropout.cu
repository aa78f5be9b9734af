// Dropout with the counter-based Philox mask: element i's keep bit is a pure function of
// (seed, stream, i), so no mask is stored and the backward recomputes it. Thread: one element per
// grid-stride step; 256-thread blocks; no barriers.
#include "kernels/common/philox.h"
#include "kernels/cuda/dropout.h"
#include "kernels/cuda/launch.h"

namespace gan::kernels::cuda {
namespace {

constexpr int kThreads = 256;

__global__ void dropout_kernel(const float* x, float* y, int64_t n, uint64_t seed,
                               uint64_t rng_stream, uint32_t threshold24, float scale) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    const uint32_t r = rng::philox_at(seed, rng_stream, static_cast<uint64_t>(i)).v[0];
    y[i] = rng::keep_element(r, threshold24) ? x[i] * scale : 0.0f;
  }
}

}  // namespace

void dropout_apply(const float* x, float* y, int64_t n, uint64_t seed, uint64_t rng_stream,
                   uint32_t drop_threshold24, float scale) {
  if (n <= 0) return;
  GAN_LAUNCH_NOSYNC(dropout_kernel, grid_for(n, kThreads), kThreads, 0, stream())(
      x, y, n, seed, rng_stream, drop_threshold24, scale);
  GAN_CUDA_CHECK_LAUNCH();
}

}  // namespace gan::kernels::cuda
