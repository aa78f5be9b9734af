// Convolution, variant 0: the direct definition, one thread per output element of each pass.
//   forward:         thread = one y[n, co, oy, ox]; loops over c_in x k x k.
//   backward data:   thread = one gx[n, ci, iy, ix]; gathers the (co, ky, kx) taps whose stride
//                    lands on it, so there are no atomics and the sum order is fixed.
//   backward weight: thread = one gw[co, ci, ky, kx]; loops over n x h_out x w_out.
//   channel_sum:     thread = one channel; loops over n x plane (the bias gradient).
// 256-thread blocks, grid-stride loops, no shared memory and no barriers. This is the reference
// the tiled variants are checked against; it is correct for every size, stride and padding.
#include "kernels/cuda/conv2d.h"
#include "kernels/cuda/launch.h"

namespace gan::cuda {
namespace {

constexpr int kThreads = 256;

__global__ void conv_forward_kernel(const float* x, const float* wt, const float* bias, float* y,
                                    ConvShape s) {
  const int64_t total = s.n * s.c_out * s.h_out * s.w_out;
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += step) {
    const int64_t ox = i % s.w_out, oy = (i / s.w_out) % s.h_out;
    const int64_t co = (i / (s.w_out * s.h_out)) % s.c_out, n = i / (s.w_out * s.h_out * s.c_out);
    float acc = bias ? bias[co] : 0.0f;
    for (int64_t ci = 0; ci < s.c_in; ++ci) {
      const float* xp = x + (n * s.c_in + ci) * s.h * s.w;
      const float* wp = wt + (co * s.c_in + ci) * s.k * s.k;
      for (int64_t ky = 0; ky < s.k; ++ky) {
        const int64_t iy = oy * s.stride - s.pad + ky;
        if (iy < 0 || iy >= s.h) continue;
        for (int64_t kx = 0; kx < s.k; ++kx) {
          const int64_t ix = ox * s.stride - s.pad + kx;
          if (ix >= 0 && ix < s.w) acc += xp[iy * s.w + ix] * wp[ky * s.k + kx];
        }
      }
    }
    y[i] = acc;
  }
}

__global__ void conv_backward_data_kernel(const float* gy, const float* wt, float* gx, ConvShape s) {
  const int64_t total = s.n * s.c_in * s.h * s.w;
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += step) {
    const int64_t ix = i % s.w, iy = (i / s.w) % s.h;
    const int64_t ci = (i / (s.w * s.h)) % s.c_in, n = i / (s.w * s.h * s.c_in);
    float acc = 0.0f;
    for (int64_t co = 0; co < s.c_out; ++co) {
      const float* gp = gy + (n * s.c_out + co) * s.h_out * s.w_out;
      const float* wp = wt + (co * s.c_in + ci) * s.k * s.k;
      for (int64_t ky = 0; ky < s.k; ++ky) {
        const int64_t ty = iy + s.pad - ky;  // = oy * stride
        if (ty < 0 || ty % s.stride) continue;
        const int64_t oy = ty / s.stride;
        if (oy >= s.h_out) continue;
        for (int64_t kx = 0; kx < s.k; ++kx) {
          const int64_t tx = ix + s.pad - kx;
          if (tx < 0 || tx % s.stride) continue;
          const int64_t ox = tx / s.stride;
          if (ox < s.w_out) acc += gp[oy * s.w_out + ox] * wp[ky * s.k + kx];
        }
      }
    }
    gx[i] = acc;
  }
}

__global__ void conv_backward_weight_kernel(const float* x, const float* gy, float* gw, ConvShape s) {
  const int64_t total = s.c_out * s.c_in * s.k * s.k;
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += step) {
    const int64_t kx = i % s.k, ky = (i / s.k) % s.k;
    const int64_t ci = (i / (s.k * s.k)) % s.c_in, co = i / (s.k * s.k * s.c_in);
    float acc = 0.0f;
    for (int64_t n = 0; n < s.n; ++n) {
      const float* xp = x + (n * s.c_in + ci) * s.h * s.w;
      const float* gp = gy + (n * s.c_out + co) * s.h_out * s.w_out;
      for (int64_t oy = 0; oy < s.h_out; ++oy) {
        const int64_t iy = oy * s.stride - s.pad + ky;
        if (iy < 0 || iy >= s.h) continue;
        for (int64_t ox = 0; ox < s.w_out; ++ox) {
          const int64_t ix = ox * s.stride - s.pad + kx;
          if (ix >= 0 && ix < s.w) acc += xp[iy * s.w + ix] * gp[oy * s.w_out + ox];
        }
      }
    }
    gw[i] = acc;
  }
}

__global__ void channel_sum_kernel(const float* t, float* out, int64_t n, int64_t channels,
                                   int64_t plane) {
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; c < channels; c += step) {
    float acc = 0.0f;
    for (int64_t b = 0; b < n; ++b) {
      const float* p = t + (b * channels + c) * plane;
      for (int64_t j = 0; j < plane; ++j) acc += p[j];
    }
    out[c] = acc;
  }
}

__global__ void add_channel_bias_kernel(float* y, const float* bias, int64_t total, int64_t channels,
                                        int64_t plane) {
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += step)
    y[i] += bias[(i / plane) % channels];
}

}  // namespace

void conv2d_forward(const float* x, const float* weight, const float* bias, float* y,
                    const ConvShape& s) {
  const int64_t total = s.n * s.c_out * s.h_out * s.w_out;
  if (total <= 0) return;
  GAN_LAUNCH_NOSYNC(conv_forward_kernel, grid_for(total, kThreads), kThreads, 0, stream())(
      x, weight, bias, y, s);
  GAN_CUDA_CHECK_LAUNCH();
}

void conv2d_backward_data(const float* gy, const float* weight, float* gx, const ConvShape& s) {
  const int64_t total = s.n * s.c_in * s.h * s.w;
  if (total <= 0) return;
  GAN_LAUNCH_NOSYNC(conv_backward_data_kernel, grid_for(total, kThreads), kThreads, 0, stream())(
      gy, weight, gx, s);
  GAN_CUDA_CHECK_LAUNCH();
}

void conv2d_backward_weight(const float* x, const float* gy, float* gw, const ConvShape& s) {
  const int64_t total = s.c_out * s.c_in * s.k * s.k;
  if (total <= 0) return;
  GAN_LAUNCH_NOSYNC(conv_backward_weight_kernel, grid_for(total, kThreads), kThreads, 0,
                    stream())(x, gy, gw, s);
  GAN_CUDA_CHECK_LAUNCH();
}

void channel_sum(const float* t, float* out, int64_t n, int64_t channels, int64_t plane) {
  if (channels <= 0) return;
  GAN_LAUNCH_NOSYNC(channel_sum_kernel, grid_for(channels, kThreads), kThreads, 0, stream())(
      t, out, n, channels, plane);
  GAN_CUDA_CHECK_LAUNCH();
}

void add_channel_bias(float* y, const float* bias, int64_t n, int64_t channels, int64_t plane) {
  const int64_t total = n * channels * plane;
  if (total <= 0) return;
  GAN_LAUNCH_NOSYNC(add_channel_bias_kernel, grid_for(total, kThreads), kThreads, 0, stream())(
      y, bias, total, channels, plane);
  GAN_CUDA_CHECK_LAUNCH();
}

}  // namespace gan::cuda
