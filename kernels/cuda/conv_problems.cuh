// The three convolution passes as implicit GEMMs for conv_gemm_kernel (kernels/cuda/conv_gemm.cuh).
// Each problem reads its operands straight from the NCHW tensors (no im2col buffer): A(m, k) and
// B(k, n) decode the flat GEMM indices into tensor coordinates, with zeros for the padding.
// Sizes are int: the launchers check that every tensor has fewer than 2^31 elements.
//
//   forward          C = y [c_out x (n h_out w_out)],  A = weight [c_out x (c_in k k)],
//                    B = x gathered as columns [(c_in k k) x (n h_out w_out)]
//   backward data    C = dx of one stride phase [c_in x (n h' w')], A = weight taps of that
//                    phase, B = gy gathered; see ConvBackwardDataProblem
//   backward weight  C = dw [c_out x (c_in k k)], A = gy [c_out x (n h_out w_out)],
//                    B = x gathered as rows [(n h_out w_out) x (c_in k k)], K split over blocks
#pragma once
#include "kernels/common/conv_geometry.h"
#include "kernels/cuda/launch.h"

namespace gan::kernels::cuda {

// The convolution's sizes as ints, for device-side index arithmetic.
using ConvDims = BasicConvGeometry<int>;

// Element (tap, col) of x's implicit im2col matrix: tap = (c_in, kh, kw) flattened, col = (image,
// output position) flattened; zero where the tap falls in the padding. The forward reads it as
// B(k, n), the weight gradient transposed as B(k, n) = im2col(n, k).
__device__ __forceinline__ float im2col_at(const float* x, const ConvDims& d, int tap, int col) {
  const int kk = d.k * d.k, ci = tap / kk, r = tap - ci * kk, kh = r / d.k, kw = r - kh * d.k;
  const int plane = d.h_out * d.w_out, img = col / plane, pos = col - img * plane;
  const int ho = pos / d.w_out, wo = pos - ho * d.w_out;
  const int hi = ho * d.stride - d.pad + kh, wi = wo * d.stride - d.pad + kw;
  if (hi < 0 || hi >= d.h || wi < 0 || wi >= d.w) return 0.0f;
  return __ldg(x + ((img * d.c_in + ci) * d.h + hi) * d.w + wi);
}

struct ConvForwardProblem {
  static constexpr bool kAKFast = true;  // a weight row is contiguous in k
  static constexpr bool kBNFast = true;  // columns are consecutive output positions
  const float* x;
  const float* wt;
  const float* bias;  // may be null
  float* y;
  ConvDims d;
  int M = 0, N = 0, k_begin = 0, k_end = 0;

  __device__ void select(unsigned) {}
  __device__ float a(int m, int k) const { return __ldg(wt + m * (d.c_in * d.k * d.k) + k); }
  __device__ float b(int k, int n) const { return im2col_at(x, d, k, n); }
  __device__ void store(int m, int n, float v) const {
    const int plane = d.h_out * d.w_out, img = n / plane, pos = n - img * plane;
    y[(img * d.c_out + m) * plane + pos] = v + (bias ? bias[m] : 0.0f);
  }
};

// The data gradient dx[n, ci, hi, wi] = sum over (co, kh, kw) with hi + pad - kh = ho * stride of
// w[co, ci, kh, kw] gy[n, co, ho, wo]. Gathered naively, (stride^2 - 1) / stride^2 of the taps
// miss the stride. Instead the output positions are split into stride x stride phases
// (hi mod stride, wi mod stride), one per blockIdx.z: inside a phase only the kernel rows
// kh = kh0 + stride * th can hit (kh0 = (phase + pad) mod stride), so each phase is a dense GEMM
// with K = c_out * ceil((k - kh0) / stride) * ceil((k - kw0) / stride) and no wasted taps.
// With ho = (hi + pad - kh) / stride = a + dh - th for hi = phase + stride * a.
struct ConvBackwardDataProblem {
  static constexpr bool kAKFast = true;
  static constexpr bool kBNFast = true;  // columns are consecutive wi of one phase
  const float* gy;
  const float* wt;
  const float* bias;  // per input channel (conv_transpose2d's forward); may be null
  float* dx;
  ConvDims d;
  int M = 0, N = 0, k_begin = 0, k_end = 0;
  int ph = 0, pw = 0, ha = 0, wa = 0, kh0 = 0, kw0 = 0, kth = 0, ktw = 0, dh = 0, dw = 0;

  __device__ void select(unsigned z) {
    const int s = d.stride;
    ph = int(z) / s;
    pw = int(z) - ph * s;
    ha = ph < d.h ? (d.h - ph + s - 1) / s : 0;
    wa = pw < d.w ? (d.w - pw + s - 1) / s : 0;
    kh0 = (ph + d.pad) % s;
    kw0 = (pw + d.pad) % s;
    kth = kh0 < d.k ? (d.k - kh0 + s - 1) / s : 0;
    ktw = kw0 < d.k ? (d.k - kw0 + s - 1) / s : 0;
    dh = (ph + d.pad - kh0) / s;
    dw = (pw + d.pad - kw0) / s;
    N = d.n * ha * wa;
    k_begin = 0;
    k_end = d.c_out * kth * ktw;
  }
  __device__ float a(int m, int k) const {
    const int taps = kth * ktw, co = k / taps, r = k - co * taps, th = r / ktw, tw = r - th * ktw;
    const int kh = kh0 + d.stride * th, kw = kw0 + d.stride * tw;
    return __ldg(wt + ((co * d.c_in + m) * d.k + kh) * d.k + kw);
  }
  __device__ float b(int k, int n) const {
    const int taps = kth * ktw, co = k / taps, r = k - co * taps, th = r / ktw, tw = r - th * ktw;
    const int plane = ha * wa, img = n / plane, pos = n - img * plane;
    const int ai = pos / wa, bi = pos - ai * wa;
    const int ho = ai + dh - th, wo = bi + dw - tw;
    if (ho < 0 || ho >= d.h_out || wo < 0 || wo >= d.w_out) return 0.0f;
    return __ldg(gy + ((img * d.c_out + co) * d.h_out + ho) * d.w_out + wo);
  }
  __device__ void store(int m, int n, float v) const {
    const int plane = ha * wa, img = n / plane, pos = n - img * plane;
    const int ai = pos / wa, bi = pos - ai * wa;
    const int hi = ph + d.stride * ai, wi = pw + d.stride * bi;
    dx[((img * d.c_in + m) * d.h + hi) * d.w + wi] = v + (bias ? bias[m] : 0.0f);
  }
};

// The weight gradient reduces over K = n h_out w_out, long next to M x N = c_out x c_in k k: the
// K range is split into `splits` chunks (blockIdx.z), each block writing its partial tile to
// out + z * M * N; conv_sum_splits_kernel then adds the chunks in order (deterministic). With
// one split `out` is dw itself.
struct ConvBackwardWeightProblem {
  static constexpr bool kAKFast = true;   // a gy row is contiguous in k (output positions)
  static constexpr bool kBNFast = false;  // consecutive k = consecutive wo: x read along rows
  const float* x;
  const float* gy;
  float* out;
  ConvDims d;
  int M = 0, N = 0, k_begin = 0, k_end = 0;
  int chunk = 0;  // K per split, a multiple of the tile's BK

  __device__ void select(unsigned z) {
    const int K = d.n * d.h_out * d.w_out;
    k_begin = int(z) * chunk;
    k_end = k_begin + chunk < K ? k_begin + chunk : K;
    out += size_t(z) * size_t(M) * size_t(N);
  }
  __device__ float a(int m, int k) const {
    const int plane = d.h_out * d.w_out, img = k / plane, pos = k - img * plane;
    return __ldg(gy + (img * d.c_out + m) * plane + pos);
  }
  __device__ float b(int k, int n) const { return im2col_at(x, d, n, k); }
  __device__ void store(int m, int n, float v) const { out[m * N + n] = v; }
};

}  // namespace gan::kernels::cuda
