// BCE-with-logits, MSE and L1 losses.
//   forward: reduce_impl.cuh's two passes: thread = a grid-stride slice of elements summed in
//     order, block = 256 threads reduced with block_sum into one partial, then one block sums the
//     partials in a fixed order (deterministic, no float atomics).
//   backward: thread = one element per grid-stride step, 256-thread blocks, no barriers.
#include "kernels/cuda/losses.h"
#include "kernels/cuda/reduce_impl.cuh"

namespace gan::kernels::cuda {
namespace {

constexpr int kThreads = 256;

struct LossTerm {
  Loss loss;
  const float* x;
  const float* t;
  float t_const;
  __device__ float operator()(int64_t i) const {
    const float xi = x[i], ti = t ? t[i] : t_const;
    switch (loss) {
      // max(x,0) - x t + log1p(exp(-|x|)): exp(-|x|) is in (0, 1], never overflows.
      case Loss::bce_with_logits: return fmaxf(xi, 0.0f) - xi * ti + log1pf(expf(-fabsf(xi)));
      case Loss::mse: return (xi - ti) * (xi - ti);
      default: return fabsf(xi - ti);
    }
  }
};

__global__ void loss_backward_kernel(Loss loss, const float* x, const float* t, float t_const,
                                     const float* gy, float scale, float* gx, float* gt,
                                     int64_t n) {
  const float s = gy[0] * scale;
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    const float xi = x[i], ti = t ? t[i] : t_const;
    float dx, dt;
    switch (loss) {
      case Loss::bce_with_logits:
        dx = 1.0f / (1.0f + expf(-xi)) - ti;
        dt = -xi;
        break;
      case Loss::mse:
        dx = 2.0f * (xi - ti);
        dt = -dx;
        break;
      default: {
        const float d = xi - ti;
        dx = d > 0.0f ? 1.0f : (d < 0.0f ? -1.0f : 0.0f);  // sign(0) = 0, as PyTorch
        dt = -dx;
      }
    }
    if (gx) gx[i] = s * dx;
    if (gt) gt[i] = s * dt;
  }
}

}  // namespace

void loss_sum(Loss loss, const float* x, const float* t, float t_const, int64_t n, float scale,
              float* y) {
  reduce_sum(LossTerm{loss, x, t, t_const}, n, scale, y);
}

void loss_backward(Loss loss, const float* x, const float* t, float t_const, const float* gy,
                   float scale, float* gx, float* gt, int64_t n) {
  if (n <= 0 || (!gx && !gt)) return;
  if (!t) gt = nullptr;
  GAN_LAUNCH_NOSYNC(loss_backward_kernel, grid_for(n, kThreads), kThreads, 0, stream())(
      loss, x, t, t_const, gy, scale, gx, gt, n);
  GAN_CUDA_CHECK_LAUNCH();
}

}  // namespace gan::kernels::cuda
