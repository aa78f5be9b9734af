// Reflection padding. forward: thread = one output element (a gather from its mirrored source);
// backward: thread = one input element, which sums the (at most 3 x 3) padded positions that read
// it: a gather again, so no atomics and a fixed order. 256-thread blocks, grid-stride, no barriers.
#include "kernels/cuda/launch.h"
#include "kernels/cuda/reflection_pad2d.h"

namespace gan::kernels::cuda {
namespace {

constexpr int kThreads = 256;

__device__ __forceinline__ int64_t reflect(int64_t i, int64_t n) {
  return i < 0 ? -i : (i >= n ? 2 * (n - 1) - i : i);
}

__global__ void pad_forward_kernel(const float* x, float* y, int64_t total, int64_t H, int64_t W,
                                   int64_t pad) {
  const int64_t Ho = H + 2 * pad, Wo = W + 2 * pad;
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += stride) {
    const int64_t ow = i % Wo, oh = (i / Wo) % Ho, p = i / (Wo * Ho);
    y[i] = x[(p * H + reflect(oh - pad, H)) * W + reflect(ow - pad, W)];
  }
}

// The padded coordinates (at most 3) whose reflection is input coordinate i of a dim of size n.
__device__ __forceinline__ int sources(int64_t i, int64_t n, int64_t pad, int64_t* out) {
  int k = 0;
  out[k++] = i + pad;
  if (i >= 1 && i <= pad) out[k++] = pad - i;                          // left/top mirror
  if (i <= n - 2 && i >= n - 1 - pad) out[k++] = pad + 2 * (n - 1) - i;  // right/bottom mirror
  return k;
}

__global__ void pad_backward_kernel(const float* gy, float* gx, int64_t total, int64_t H,
                                    int64_t W, int64_t pad) {
  const int64_t Ho = H + 2 * pad, Wo = W + 2 * pad;
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += stride) {
    const int64_t w = i % W, h = (i / W) % H, p = i / (W * H);
    int64_t rows[3], cols[3];
    const int nr = sources(h, H, pad, rows), nc = sources(w, W, pad, cols);
    const float* g = gy + p * Ho * Wo;
    float s = 0.0f;
    for (int a = 0; a < nr; ++a)
      for (int b = 0; b < nc; ++b) s += g[rows[a] * Wo + cols[b]];
    gx[i] = s;
  }
}

}  // namespace

void reflection_pad2d_forward(const float* x, float* y, int64_t planes, int64_t H, int64_t W,
                              int64_t pad) {
  const int64_t total = planes * (H + 2 * pad) * (W + 2 * pad);
  if (total <= 0) return;
  GAN_LAUNCH_NOSYNC(pad_forward_kernel, grid_for(total, kThreads), kThreads, 0, stream())(
      x, y, total, H, W, pad);
  GAN_CUDA_CHECK_LAUNCH();
}

void reflection_pad2d_backward(const float* gy, float* gx, int64_t planes, int64_t H, int64_t W,
                               int64_t pad) {
  const int64_t total = planes * H * W;
  if (total <= 0) return;
  GAN_LAUNCH_NOSYNC(pad_backward_kernel, grid_for(total, kThreads), kThreads, 0, stream())(
      gy, gx, total, H, W, pad);
  GAN_CUDA_CHECK_LAUNCH();
}

}  // namespace gan::kernels::cuda
