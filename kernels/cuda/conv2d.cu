// Convolution kernels (docs/kernels.md "Convolution"). Three variants of every pass, one chosen
// by conv_variant_for() unless the caller names one (tests check all, benchmarks time all):
//   0  the direct definition, one thread per output element of each pass, no shared memory:
//        forward:         thread = one y[n, co, oy, ox]; loops over c_in x k x k.
//        backward data:   thread = one gx[n, ci, iy, ix]; gathers the (co, ky, kx) taps whose
//                         stride lands on it (no atomics, fixed order).
//        backward weight: thread = one gw[co, ci, ky, kx]; loops over n x h_out x w_out.
//      The reference the tiled variants are checked against.
//   1, 2  tiled implicit GEMMs (conv_gemm.cuh, conv_problems.cuh) with 64x64 and 128x128 tiles.
//   3     the same implicit GEMMs on TF32 tensor cores (conv_wmma.cuh), 128x128 tiles.
// The bias gradient has one kernel: block = one channel, a deterministic block sum in double.
#include <atomic>
#include <stdexcept>
#include <string>

#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/conv2d.h"
#include "kernels/cuda/conv_gemm.cuh"
#include "kernels/cuda/conv_problems.cuh"
#include "kernels/cuda/conv_wmma.cuh"
#include "kernels/cuda/launch.h"

namespace gan::kernels::cuda {

namespace {

constexpr int kThreads = 256;

// ---- variant 0 ----------------------------------------------------------------------------------

__global__ void conv_forward_direct_kernel(const float* x, const float* wt, const float* bias,
                                           float* y, ConvGeometry s) {
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

__global__ void conv_backward_data_direct_kernel(const float* gy, const float* wt,
                                                 const float* bias, float* gx, ConvGeometry s) {
  const int64_t total = s.n * s.c_in * s.h * s.w;
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += step) {
    const int64_t ix = i % s.w, iy = (i / s.w) % s.h;
    const int64_t ci = (i / (s.w * s.h)) % s.c_in, n = i / (s.w * s.h * s.c_in);
    float acc = bias ? bias[ci] : 0.0f;
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

__global__ void conv_backward_weight_direct_kernel(const float* x, const float* gy, float* gw,
                                                   ConvGeometry s) {
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

// ---- shared pieces ------------------------------------------------------------------------------

// dw[e] = sum over z of partial[z * count + e], in order of z.
__global__ void conv_sum_splits_kernel(const float* partial, float* dw, int64_t count, int splits) {
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < count; e += step) {
    float s = 0.0f;
    for (int z = 0; z < splits; ++z) s += partial[z * count + e];
    dw[e] = s;
  }
}

__global__ void channel_sum_kernel(const float* t, float* out, int64_t n, int64_t channels,
                                   int64_t plane) {
  GAN_SHARED(double, warp_sums, [32]);
  const int64_t c = blockIdx.x;
  double s = 0.0;
  for (int64_t b = 0; b < n; ++b) {
    const float* p = t + (b * channels + c) * plane;
    for (int64_t j = threadIdx.x; j < plane; j += blockDim.x) s += p[j];
  }
  s = block_sum(s, warp_sums);
  if (threadIdx.x == 0) out[c] = float(s);
}

void check_int_range(const ConvGeometry& s, const char* what) {
  const int64_t limit = int64_t(1) << 31;
  const int64_t x = s.n * s.c_in * s.h * s.w, y = s.n * s.c_out * s.h_out * s.w_out;
  const int64_t w = s.c_out * s.c_in * s.k * s.k;
  if (x >= limit || y >= limit || w >= limit)
    throw std::invalid_argument(std::string(what) +
                                ": tensors of 2^31 or more elements are not supported");
}

ConvDims dims_of(const ConvGeometry& s) {
  return {int(s.n), int(s.c_in), int(s.h), int(s.w), int(s.c_out), int(s.k), int(s.stride),
          int(s.pad), int(s.h_out), int(s.w_out)};
}

unsigned tiles(int64_t size, int tile) { return unsigned((size + tile - 1) / tile); }

int resolve(int variant, int64_t m, int64_t cols, const char* what) {
  if (variant == kConvVariantAuto) return conv_variant_for(m, cols);
  if (variant < 0 || variant >= kConvVariants)
    throw std::invalid_argument(std::string(what) + ": no kernel variant " +
                                std::to_string(variant));
  return variant;
}

// ---- tiled launchers ----------------------------------------------------------------------------

// The GEMM kernel of a tile type: FP32 SIMT (GemmTile) or TF32 tensor cores (WmmaTile).
template <class Tl, class P>
auto gemm_kernel() {
  if constexpr (Tl::kTensorCores)
    return conv_wmma_kernel<Tl, P>;
  else
    return conv_gemm_kernel<Tl, P>;
}

template <class Tl>
void forward_tiled(const float* x, const float* w, const float* bias, float* y,
                   const ConvGeometry& s) {
  ConvForwardProblem p{x, w, bias, y, dims_of(s)};
  p.M = int(s.c_out);
  p.N = int(s.n * s.h_out * s.w_out);
  p.k_begin = 0;
  p.k_end = int(s.c_in * s.k * s.k);
  const dim3 grid(tiles(p.N, Tl::BN), tiles(p.M, Tl::BM), 1);
  auto* kernel = gemm_kernel<Tl, ConvForwardProblem>();
  GAN_LAUNCH(kernel, grid, Tl::kThreads, 0, stream())(p);
  GAN_CUDA_CHECK_LAUNCH();
}

template <class Tl>
void backward_data_tiled(const float* gy, const float* w, const float* bias, float* dx,
                         const ConvGeometry& s) {
  ConvBackwardDataProblem p{gy, w, bias, dx, dims_of(s)};
  p.M = int(s.c_in);
  // Phase (0, 0) has the most columns: ceil(h / stride) x ceil(w / stride) per image.
  const int64_t cols = s.n * ((s.h + s.stride - 1) / s.stride) * ((s.w + s.stride - 1) / s.stride);
  const dim3 grid(tiles(cols, Tl::BN), tiles(p.M, Tl::BM), unsigned(s.stride * s.stride));
  auto* kernel = gemm_kernel<Tl, ConvBackwardDataProblem>();
  GAN_LAUNCH(kernel, grid, Tl::kThreads, 0, stream())(p);
  GAN_CUDA_CHECK_LAUNCH();
}

template <class Tl>
void backward_weight_tiled(const float* x, const float* gy, float* dw, const ConvGeometry& s) {
  const int64_t M = s.c_out, N = s.c_in * s.k * s.k, K = s.n * s.h_out * s.w_out;
  // Enough blocks to fill a large GPU several times over, each split keeping >= 8 K slices.
  const int64_t mn_blocks = int64_t(tiles(M, Tl::BM)) * tiles(N, Tl::BN);
  const int64_t want = (4 * 132 + mn_blocks - 1) / mn_blocks;
  const int64_t most = (K + 8 * Tl::BK - 1) / (8 * Tl::BK);
  int64_t splits = want < most ? want : most;
  if (splits > 64) splits = 64;
  if (splits < 1) splits = 1;
  int64_t chunk = (K + splits - 1) / splits;
  chunk = (chunk + Tl::BK - 1) / Tl::BK * Tl::BK;
  splits = (K + chunk - 1) / chunk;
  if (splits < 1) splits = 1;
  if (splits * M * N >= (int64_t(1) << 31))
    throw std::invalid_argument("conv2d_backward_weight: partial sums too large");
  float* out = splits == 1 ? dw : static_cast<float*>(scratch(size_t(splits * M * N) * sizeof(float)));
  ConvBackwardWeightProblem p{x, gy, out, dims_of(s)};
  p.M = int(M);
  p.N = int(N);
  p.chunk = int(chunk);
  const dim3 grid(tiles(N, Tl::BN), tiles(M, Tl::BM), unsigned(splits));
  auto* kernel = gemm_kernel<Tl, ConvBackwardWeightProblem>();
  GAN_LAUNCH(kernel, grid, Tl::kThreads, 0, stream())(p);
  GAN_CUDA_CHECK_LAUNCH();
  if (splits > 1) {
    GAN_LAUNCH_NOSYNC(conv_sum_splits_kernel, grid_for(M * N, kThreads), kThreads, 0, stream())(
        out, dw, M * N, int(splits));
    GAN_CUDA_CHECK_LAUNCH();
  }
}

}  // namespace

namespace {
// The process-wide conv math: set once by the tools at start-up, read by every auto-variant launch
// (atomic, so a read from another thread is never torn).
std::atomic<ConvMath> g_conv_math{ConvMath::fp32};
}  // namespace

void set_conv_math(ConvMath m) { g_conv_math.store(m); }
ConvMath conv_math() { return g_conv_math.load(); }

int conv_variant_for(int64_t m, int64_t cols) {
  if (conv_math() == ConvMath::tf32 && m >= 64) return kConvVariantTf32;
  // The 128x128 tile does twice the arithmetic per loaded value but needs 128 rows and enough
  // tiles to occupy every multiprocessor (132 on an H100) twice; below that the 64x64 tile
  // wastes less on partial tiles and spreads the work over more blocks.
  const int64_t big_tiles = ((m + 127) / 128) * ((cols + 127) / 128);
  return (m >= 128 && big_tiles >= 2 * 132) ? 2 : 1;
}

void conv2d_forward(const float* x, const float* w, const float* bias, float* y,
                    const ConvGeometry& s, int variant) {
  const int64_t total = s.n * s.c_out * s.h_out * s.w_out;
  if (total <= 0) return;
  check_int_range(s, "conv2d_forward");
  switch (resolve(variant, s.c_out, s.n * s.h_out * s.w_out, "conv2d_forward")) {
    case 0:
      GAN_LAUNCH_NOSYNC(conv_forward_direct_kernel, grid_for(total, kThreads, 1u << 20), kThreads,
                        0, stream())(x, w, bias, y, s);
      GAN_CUDA_CHECK_LAUNCH();
      break;
    case 1: forward_tiled<Tile64>(x, w, bias, y, s); break;
    case 2: forward_tiled<Tile128>(x, w, bias, y, s); break;
    default: forward_tiled<TileTf32>(x, w, bias, y, s); break;
  }
}

void conv2d_backward_data(const float* gy, const float* w, const float* bias, float* dx,
                          const ConvGeometry& s, int variant) {
  const int64_t total = s.n * s.c_in * s.h * s.w;
  if (total <= 0) return;
  check_int_range(s, "conv2d_backward_data");
  const int64_t phase_cols = s.n * s.h * s.w / (s.stride * s.stride);
  switch (resolve(variant, s.c_in, phase_cols, "conv2d_backward_data")) {
    case 0:
      GAN_LAUNCH_NOSYNC(conv_backward_data_direct_kernel, grid_for(total, kThreads, 1u << 20),
                        kThreads, 0, stream())(gy, w, bias, dx, s);
      GAN_CUDA_CHECK_LAUNCH();
      break;
    case 1: backward_data_tiled<Tile64>(gy, w, bias, dx, s); break;
    case 2: backward_data_tiled<Tile128>(gy, w, bias, dx, s); break;
    default: backward_data_tiled<TileTf32>(gy, w, bias, dx, s); break;
  }
}

void conv2d_backward_weight(const float* x, const float* gy, float* dw, const ConvGeometry& s,
                            int variant) {
  const int64_t total = s.c_out * s.c_in * s.k * s.k;
  if (total <= 0) return;
  check_int_range(s, "conv2d_backward_weight");
  if (s.n * s.h_out * s.w_out == 0) {  // nothing to reduce over: the gradient is zero
    GAN_CUDA_CHECK(cudaMemsetAsync(dw, 0, size_t(total) * sizeof(float), stream()));
    return;
  }
  // The weight gradient's GEMM is c_out x (c_in k k); its split over K fills the grid anyway.
  switch (resolve(variant, s.c_out, s.c_in * s.k * s.k * 4, "conv2d_backward_weight")) {
    case 0:
      GAN_LAUNCH_NOSYNC(conv_backward_weight_direct_kernel, grid_for(total, kThreads, 1u << 20),
                        kThreads, 0, stream())(x, gy, dw, s);
      GAN_CUDA_CHECK_LAUNCH();
      break;
    case 1: backward_weight_tiled<Tile64>(x, gy, dw, s); break;
    case 2: backward_weight_tiled<Tile128>(x, gy, dw, s); break;
    default: backward_weight_tiled<TileTf32>(x, gy, dw, s); break;
  }
}

void channel_sum(const float* t, float* out, int64_t n, int64_t channels, int64_t plane) {
  if (channels <= 0) return;
  GAN_LAUNCH(channel_sum_kernel, unsigned(channels), kThreads, 0, stream())(t, out, n, channels,
                                                                          plane);
  GAN_CUDA_CHECK_LAUNCH();
}

}  // namespace gan::kernels::cuda
