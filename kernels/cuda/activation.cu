// Pointwise activations and their gradients. Thread: one float4 per grid-stride step when every
// pointer is 16-byte aligned (else one float); block: 256 threads; no barriers.
#include "kernels/cuda/activation.h"
#include "kernels/cuda/launch.h"

namespace gan::kernels::cuda {
namespace {

constexpr int kThreads = 256;

__device__ __forceinline__ float forward_one(Activation act, float x, float slope) {
  switch (act) {
    case Activation::relu: return x > 0.0f ? x : 0.0f;
    case Activation::leaky_relu: return x > 0.0f ? x : x * slope;
    case Activation::tanh: return tanhf(x);
    // expf(-x) overflows to inf for x << 0, giving exactly 0, never NaN.
    case Activation::sigmoid: return 1.0f / (1.0f + expf(-x));
    default: return fabsf(x);
  }
}

// d act / d(input) * g, from the input x or the output y.
__device__ __forceinline__ float backward_one(Activation act, float x, float y, float g,
                                              float slope) {
  switch (act) {
    case Activation::relu: return x > 0.0f ? g : 0.0f;
    case Activation::leaky_relu: return x > 0.0f ? g : g * slope;
    case Activation::tanh: return g * (1.0f - y * y);
    case Activation::sigmoid: return g * y * (1.0f - y);
    default: return x > 0.0f ? g : (x < 0.0f ? -g : 0.0f);  // sign(0) = 0, as PyTorch
  }
}

__global__ void forward_kernel(Activation act, const float* x, float* y, int64_t n, float slope) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    y[i] = forward_one(act, x[i], slope);
}

__global__ void forward_vec4_kernel(Activation act, const float4* x, float4* y, int64_t n4,
                                    float slope) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n4; i += stride) {
    const float4 v = x[i];
    y[i] = make_float4(forward_one(act, v.x, slope), forward_one(act, v.y, slope),
                       forward_one(act, v.z, slope), forward_one(act, v.w, slope));
  }
}

// x or y may be null when the activation does not read it.
__global__ void backward_kernel(Activation act, const float* x, const float* y, const float* gy,
                                float* gx, int64_t n, float slope) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    gx[i] = backward_one(act, x ? x[i] : 0.0f, y ? y[i] : 0.0f, gy[i], slope);
}

__global__ void backward_vec4_kernel(Activation act, const float4* x, const float4* y,
                                     const float4* gy, float4* gx, int64_t n4, float slope) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  const float4 zero = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n4; i += stride) {
    const float4 vx = x ? x[i] : zero, vy = y ? y[i] : zero, g = gy[i];
    gx[i] = make_float4(backward_one(act, vx.x, vy.x, g.x, slope),
                        backward_one(act, vx.y, vy.y, g.y, slope),
                        backward_one(act, vx.z, vy.z, g.z, slope),
                        backward_one(act, vx.w, vy.w, g.w, slope));
  }
}

}  // namespace

void activation_forward(Activation act, const float* x, float* y, int64_t n, float slope) {
  if (n <= 0) return;
  if (n % 4 == 0 && aligned16(x, y)) {
    GAN_LAUNCH_NOSYNC(forward_vec4_kernel, grid_for(n / 4, kThreads), kThreads, 0, stream())(
        act, reinterpret_cast<const float4*>(x), reinterpret_cast<float4*>(y), n / 4, slope);
  } else {
    GAN_LAUNCH_NOSYNC(forward_kernel, grid_for(n, kThreads), kThreads, 0, stream())(act, x, y, n,
                                                                                   slope);
  }
  GAN_CUDA_CHECK_LAUNCH();
}

void activation_backward(Activation act, const float* x, const float* y, const float* gy, float* gx,
                         int64_t n, float slope) {
  if (n <= 0) return;
  const bool reads_y = act == Activation::tanh || act == Activation::sigmoid;
  if (reads_y) x = nullptr;
  else y = nullptr;
  if (n % 4 == 0 && aligned16(x, y, gy, gx)) {  // a null pointer counts as aligned
    GAN_LAUNCH_NOSYNC(backward_vec4_kernel, grid_for(n / 4, kThreads), kThreads, 0, stream())(
        act, reinterpret_cast<const float4*>(x), reinterpret_cast<const float4*>(y),
        reinterpret_cast<const float4*>(gy), reinterpret_cast<float4*>(gx), n / 4, slope);
  } else {
    GAN_LAUNCH_NOSYNC(backward_kernel, grid_for(n, kThreads), kThreads, 0, stream())(
        act, x, y, gy, gx, n, slope);
  }
  GAN_CUDA_CHECK_LAUNCH();
}

}  // namespace gan::kernels::cuda
