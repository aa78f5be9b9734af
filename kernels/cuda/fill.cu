// fill: Tensor::fill_ on the cuda device (ones, constants, the NaN poison of the tests).
// Thread: one float4 (or one float in the unaligned form) per grid-stride step; block: 256 threads.
#include "kernels/cuda/fill.h"
#include "kernels/cuda/launch.h"

namespace gan::kernels::cuda {
namespace {

__global__ void fill_kernel(float* y, int64_t n, float value) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) y[i] = value;
}

__global__ void fill_vec4_kernel(float4* y, int64_t n4, float value) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  const float4 v = make_float4(value, value, value, value);
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n4; i += stride) y[i] = v;
}

}  // namespace

void fill(float* y, int64_t n, float value) {
  if (n <= 0) return;
  constexpr int kThreads = 256;
  if (aligned16(y)) {
    const int64_t n4 = n / 4;
    if (n4 > 0) {
      GAN_LAUNCH_NOSYNC(fill_vec4_kernel, grid_for(n4, kThreads), kThreads, 0, stream())(
          reinterpret_cast<float4*>(y), n4, value);
      GAN_CUDA_CHECK_LAUNCH();
    }
    if (n % 4 == 0) return;
    y += n4 * 4;
    n -= n4 * 4;
  }
  GAN_LAUNCH_NOSYNC(fill_kernel, grid_for(n, kThreads), kThreads, 0, stream())(y, n, value);
  GAN_CUDA_CHECK_LAUNCH();
}

}  // namespace gan::kernels::cuda
