// Fused Adam: one pass reads param, grad, m, v and writes param, m, v. Thread: one float4 per
// grid-stride step when all four pointers are 16-byte aligned (else one float); 256-thread blocks;
// no barriers.
#include "kernels/cuda/adam.h"
#include "kernels/cuda/launch.h"

namespace gan::kernels::cuda {
namespace {

constexpr int kThreads = 256;

struct AdamConsts {
  float b1, b2, eps, wd, step_size, inv_sqrt_bc2;
};

__device__ __forceinline__ void adam_one(float& p, float g, float& m, float& v, const AdamConsts& c) {
  g += c.wd * p;
  m = c.b1 * m + (1.0f - c.b1) * g;
  v = c.b2 * v + (1.0f - c.b2) * g * g;
  p -= c.step_size * m / (sqrtf(v) * c.inv_sqrt_bc2 + c.eps);
}

__global__ void adam_kernel(float* param, const float* grad, float* m, float* v, int64_t n,
                            AdamConsts c) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    adam_one(param[i], grad[i], m[i], v[i], c);
}

__global__ void adam_vec4_kernel(float4* param, const float4* grad, float4* m, float4* v,
                                 int64_t n4, AdamConsts c) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n4; i += stride) {
    float4 p = param[i], mm = m[i], vv = v[i];
    const float4 g = grad[i];
    adam_one(p.x, g.x, mm.x, vv.x, c);
    adam_one(p.y, g.y, mm.y, vv.y, c);
    adam_one(p.z, g.z, mm.z, vv.z, c);
    adam_one(p.w, g.w, mm.w, vv.w, c);
    param[i] = p;
    m[i] = mm;
    v[i] = vv;
  }
}

}  // namespace

void adam_update(float* param, const float* grad, float* m, float* v, int64_t n, float beta1,
                 float beta2, float eps, float weight_decay, float step_size, float inv_sqrt_bc2) {
  if (n <= 0) return;
  const AdamConsts c{beta1, beta2, eps, weight_decay, step_size, inv_sqrt_bc2};
  if (n % 4 == 0 && aligned16(param, grad, m, v)) {
    GAN_LAUNCH_NOSYNC(adam_vec4_kernel, grid_for(n / 4, kThreads), kThreads, 0, stream())(
        reinterpret_cast<float4*>(param), reinterpret_cast<const float4*>(grad),
        reinterpret_cast<float4*>(m), reinterpret_cast<float4*>(v), n / 4, c);
  } else {
    GAN_LAUNCH_NOSYNC(adam_kernel, grid_for(n, kThreads), kThreads, 0, stream())(param, grad, m, v,
                                                                                n, c);
  }
  GAN_CUDA_CHECK_LAUNCH();
}

}  // namespace gan::kernels::cuda
