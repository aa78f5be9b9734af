// Elementwise binary ops with per-channel broadcasting, their gradients, and affine.
//   forward / ga / affine: a grid-stride loop, one float4 per thread and step where every pointer
//     is 16-byte aligned and a group of 4 never straddles two channels, else one float; 256-thread
//     blocks; no barriers.
//   gb when b is broadcast: one block per channel sums over (outer, inner) with block_sum: a fixed
//     order, so the gradient is deterministic.
#include "kernels/cuda/binary.h"
#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/launch.h"

namespace gan::kernels::cuda {
namespace {

constexpr int kThreads = 256;

__device__ __forceinline__ float apply(BinaryOp op, float a, float b) {
  switch (op) {
    case BinaryOp::add: return a + b;
    case BinaryOp::sub: return a - b;
    case BinaryOp::mul: return a * b;
    default: return a / b;
  }
}

// y[i] = a[i] op b[(i / inner) % channels]
__global__ void binary_kernel(BinaryOp op, const float* a, const float* b, float* y, int64_t n,
                              int64_t channels, int64_t inner) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    y[i] = apply(op, a[i], b[(i / inner) % channels]);
}

// The same on float4 groups. same_shape: b is read as float4 too; else inner % 4 == 0, so the
// four values of a group share one b.
__global__ void binary_vec4_kernel(BinaryOp op, const float4* a, const float* b, float4* y,
                                   int64_t n4, int64_t channels, int64_t inner, bool same_shape) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n4; i += stride) {
    const float4 va = a[i];
    float4 vb;
    if (same_shape) {
      vb = reinterpret_cast<const float4*>(b)[i];
    } else {
      const float s = b[(i * 4 / inner) % channels];
      vb = make_float4(s, s, s, s);
    }
    y[i] = make_float4(apply(op, va.x, vb.x), apply(op, va.y, vb.y), apply(op, va.z, vb.z),
                       apply(op, va.w, vb.w));
  }
}

void launch_binary(BinaryOp op, const float* a, const float* b, float* y, int64_t outer,
                   int64_t channels, int64_t inner) {
  const int64_t n = outer * channels * inner;
  if (n <= 0) return;
  const bool same_shape = outer == 1 && inner == 1;
  const bool vec = same_shape ? aligned16(a, b, y) && n % 4 == 0 : aligned16(a, y) && inner % 4 == 0;
  if (vec) {
    const int64_t n4 = n / 4;
    GAN_LAUNCH_NOSYNC(binary_vec4_kernel, grid_for(n4, kThreads), kThreads, 0, stream())(
        op, reinterpret_cast<const float4*>(a), b, reinterpret_cast<float4*>(y), n4, channels,
        inner, same_shape);
  } else {
    GAN_LAUNCH_NOSYNC(binary_kernel, grid_for(n, kThreads), kThreads, 0, stream())(
        op, a, b, y, n, channels, inner);
  }
  GAN_CUDA_CHECK_LAUNCH();
}

// d(a op b)/db * gy for one element.
__device__ __forceinline__ float grad_b(BinaryOp op, float a, float b, float gy) {
  switch (op) {
    case BinaryOp::add: return gy;
    case BinaryOp::sub: return -gy;
    case BinaryOp::mul: return gy * a;
    default: return -gy * a / (b * b);
  }
}

// Same shape: gb[i] = grad_b(a[i], b[i], gy[i]).
__global__ void grad_b_elementwise_kernel(BinaryOp op, const float* a, const float* b,
                                          const float* gy, float* gb, int64_t n) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    gb[i] = grad_b(op, a[i], b[i], gy[i]);
}

// Broadcast b: block c sums grad_b over the outer * inner elements of channel c.
__global__ void grad_b_channel_kernel(BinaryOp op, const float* a, const float* b, const float* gy,
                                      float* gb, int64_t outer, int64_t channels, int64_t inner) {
  GAN_SHARED(float, warp_sums, [32]);
  const int64_t c = blockIdx.x;
  const float bc = b[c];
  const int64_t count = outer * inner;
  float s = 0.0f;
  for (int64_t k = threadIdx.x; k < count; k += blockDim.x) {
    const int64_t o = k / inner, i = k % inner;
    const int64_t idx = (o * channels + c) * inner + i;
    s += grad_b(op, a[idx], bc, gy[idx]);
  }
  s = block_sum(s, warp_sums);
  if (threadIdx.x == 0) gb[c] = s;
}

}  // namespace

void binary_forward(BinaryOp op, const float* a, const float* b, float* y, int64_t outer,
                    int64_t channels, int64_t inner) {
  launch_binary(op, a, b, y, outer, channels, inner);
}

void binary_backward(BinaryOp op, const float* a, const float* b, const float* gy, float* ga,
                     float* gb, int64_t outer, int64_t channels, int64_t inner) {
  const int64_t n = outer * channels * inner;
  if (ga && n > 0) {
    // ga = gy (add, sub): a copy; gy * b (mul), gy / b (div): the forward kernel on (gy, b).
    if (op == BinaryOp::add || op == BinaryOp::sub) memcpy_d2d(ga, gy, size_t(n) * sizeof(float));
    else launch_binary(op, gy, b, ga, outer, channels, inner);
  }
  if (gb && n > 0) {
    if (outer == 1 && inner == 1) {
      GAN_LAUNCH_NOSYNC(grad_b_elementwise_kernel, grid_for(n, kThreads), kThreads, 0, stream())(
          op, a, b, gy, gb, n);
    } else {
      GAN_LAUNCH(grad_b_channel_kernel, unsigned(channels), kThreads, 0, stream())(
          op, a, b, gy, gb, outer, channels, inner);
    }
    GAN_CUDA_CHECK_LAUNCH();
  }
}

namespace {
__global__ void affine_kernel(const float* a, float* y, int64_t n, float scale, float shift) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    y[i] = a[i] * scale + shift;
}
__global__ void affine_vec4_kernel(const float4* a, float4* y, int64_t n4, float scale, float shift) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n4; i += stride) {
    const float4 v = a[i];
    y[i] = make_float4(v.x * scale + shift, v.y * scale + shift, v.z * scale + shift,
                       v.w * scale + shift);
  }
}
}  // namespace

void affine_forward(const float* a, float* y, int64_t n, float scale, float shift) {
  if (n <= 0) return;
  if (aligned16(a, y) && n % 4 == 0) {
    GAN_LAUNCH_NOSYNC(affine_vec4_kernel, grid_for(n / 4, kThreads), kThreads, 0, stream())(
        reinterpret_cast<const float4*>(a), reinterpret_cast<float4*>(y), n / 4, scale, shift);
  } else {
    GAN_LAUNCH_NOSYNC(affine_kernel, grid_for(n, kThreads), kThreads, 0, stream())(a, y, n, scale,
                                                                                  shift);
  }
  GAN_CUDA_CHECK_LAUNCH();
}

}  // namespace gan::kernels::cuda
