// The TF32 tensor-core implicit-GEMM kernel behind convolution variant 3 (device code, included by
// kernels/cuda/conv2d.cu; docs/kernels.md "TF32 tensor cores").
//
// The same GEMM as conv_gemm_kernel (kernels/cuda/conv_gemm.cuh), over the same problem types
// (kernels/cuda/conv_problems.cuh), with the same loads into shared memory; only the multiply
// differs: instead of FP32 FMAs on a per-thread micro-tile, each warp multiplies 16x16x8 pieces on
// the tensor cores with nvcuda::wmma, TF32 inputs and FP32 accumulation.
//
//   block: a 128 x 128 tile of C, K in 16-deep slices (two k8 steps of the tensor core)
//   warp:  a 64 x 32 piece of that tile (8 warps as 2 rows x 4 columns), 4 x 2 accumulator
//          fragments of 16 x 16
//   shared: A slice 16 x 128 stored k-major (= column-major A for wmma), B slice 16 x 128
//          (row-major B), and a 16 x 32 staging area per warp for the epilogue (35 KiB)
//
// Values are rounded to TF32 (wmma::__float_to_tf32) once, when a thread stores its loaded value
// into shared memory, rather than in every fragment that later reads it (each A value is read by 4
// warps, each B value by 2). The epilogue stores one row of accumulator fragments to the warp's
// staging area and writes it out with lane = column: 32 consecutive output positions per store,
// coalesced NCHW rows, through the problem's store() (bias, stride phase, K split as for FP32).
//
// Needs sm_80 or newer (TF32 wmma); the build targets sm_80 and sm_90.
#pragma once
#include "kernels/cuda/conv_gemm.cuh"
#include "kernels/cuda/launch.h"
#if defined(__CUDACC__)
#include <mma.h>
#endif

namespace gan::kernels::cuda {

template <int BM_, int BN_, int BK_, int kWarpsM_, int kWarpsN_>
struct WmmaTile {
  static constexpr bool kTensorCores = true;
  static constexpr int BM = BM_, BN = BN_, BK = BK_;
  static constexpr int kWarpsM = kWarpsM_, kWarpsN = kWarpsN_;
  static constexpr int kThreads = 32 * kWarpsM * kWarpsN;
  static constexpr int WM = BM / kWarpsM, WN = BN / kWarpsN;  // a warp's piece of the tile
  static constexpr int kFragM = WM / 16, kFragN = WN / 16;     // its 16x16 accumulators
  static constexpr int kALoads = BM * BK / kThreads;           // as GemmTile: values per slice
  static constexpr int kBLoads = BK * BN / kThreads;
  static_assert(kThreads == 256, "the launchers use 256-thread blocks");
  static_assert(WM % 16 == 0 && WN % 16 == 0 && BK % 8 == 0, "m16n16k8 fragments");
  static_assert(WN == 32, "the epilogue writes one column per lane");
  static_assert(kThreads % BK == 0 && kThreads % BM == 0 && kThreads % BN == 0, "load mapping");
  static_assert(BM * BK % kThreads == 0 && BK * BN % kThreads == 0, "load mapping");
};
using TileTf32 = WmmaTile<128, 128, 16, 2, 4>;  // variant 3

// Padding of the shared rows, in floats. A and B rows: 8, so a row is 8 banks (mod 32) past the
// previous one. A TF32 fragment load reads, per lane (g = lane / 4, t = lane % 4), elements at
// g + t * ld (column-major A) or t * ld + g (row-major B) -- assuming wmma keeps mma.sync's
// m16n8k8 fragment layout, which is what it lowers to on sm_80/sm_90 (to confirm on a GPU with
// ncu's shared-memory bank-conflict counters). With ld = 8 (mod 32) the 32 lanes hit 32 different
// banks; with a pad of 4 two lanes share a bank. (The k-ordered stores of A become 4-way
// conflicted instead of 2-way, but a slice is read by fragment loads 4 times as often as it is
// stored.) The stage rows: 4. Every fragment pointer stays 32-byte aligned (fragments start at
// multiples of 8 rows and 16 columns) with ldm a multiple of 4, as wmma requires.
constexpr int kWmmaPad = 8;
constexpr int kStagePad = 4;

// All of the block's shared memory in one struct, so one alignment (32 bytes, wmma's rule for
// fragment pointers) covers every tile. The declaration must say so too (GAN_SHARED_ALIGNED):
// nvcc takes a __shared__ variable's alignment from its __align__, not from the type.
template <class Tl>
struct alignas(32) WmmaShared {
  float a[Tl::BK][Tl::BM + kWmmaPad];                    // A(m, k) at a[k][m]: column-major A
  float b[Tl::BK][Tl::BN + kWmmaPad];                    // B(k, n) at b[k][n]: row-major B
  float c[Tl::kWarpsM * Tl::kWarpsN][16][Tl::WN + kStagePad];  // per-warp epilogue staging
};

// Grid and early exit exactly as conv_gemm_kernel.
template <class Tl, class P>
__global__ void __launch_bounds__(256) conv_wmma_kernel(P prob) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800
  __trap();  // no TF32 tensor cores before sm_80; the launcher is never built for such targets
#else
  namespace wmma = nvcuda::wmma;
  constexpr int BM = Tl::BM, BN = Tl::BN, BK = Tl::BK, WM = Tl::WM, WN = Tl::WN;
  constexpr int FM = Tl::kFragM, FN = Tl::kFragN;
  constexpr int lda = BM + kWmmaPad, ldb = BN + kWmmaPad, ldc = WN + kStagePad;
  GAN_SHARED_ALIGNED(WmmaShared<Tl>, sm, , 32);

  prob.select(blockIdx.z);
  const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
  if (m0 >= prob.M || n0 >= prob.N) return;  // block-uniform
  const int t = threadIdx.x, warp = t / 32, lane = t % 32;
  const int wm = (warp / Tl::kWarpsN) * WM, wn = (warp % Tl::kWarpsN) * WN;  // warp's piece

  // Global -> registers, the same coalesced mapping as the FP32 kernel.
  float ra[Tl::kALoads], rb[Tl::kBLoads];
  auto load_slice = [&](int k0) { load_slice_to_registers<Tl>(prob, t, m0, n0, k0, ra, rb); };

  wmma::fragment<wmma::accumulator, 16, 16, 8, float> acc[FM][FN];
  GAN_CONV_UNROLL
  for (int i = 0; i < FM; ++i)
    GAN_CONV_UNROLL
    for (int j = 0; j < FN; ++j) wmma::fill_fragment(acc[i][j], 0.0f);

  if (prob.k_begin < prob.k_end) load_slice(prob.k_begin);
  for (int k0 = prob.k_begin; k0 < prob.k_end; k0 += BK) {
    // Registers -> shared, rounded to TF32 here, once per value.
    GAN_CONV_UNROLL
    for (int i = 0; i < Tl::kALoads; ++i) {
      int m, k;
      a_coord<Tl, P::kAKFast>(t, i, m, k);
      sm.a[k][m] = wmma::__float_to_tf32(ra[i]);
    }
    GAN_CONV_UNROLL
    for (int i = 0; i < Tl::kBLoads; ++i) {
      int k, n;
      b_coord<Tl, P::kBNFast>(t, i, k, n);
      sm.b[k][n] = wmma::__float_to_tf32(rb[i]);
    }
    __syncthreads();
    if (k0 + BK < prob.k_end) load_slice(k0 + BK);  // in flight while this slice is multiplied
    GAN_CONV_UNROLL
    for (int kk = 0; kk < BK; kk += 8) {
      // The warp's FN B fragments, then one A fragment at a time (fewer live registers than
      // holding all FM A fragments: the difference between spilling and not under 2 blocks/SM).
      wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::row_major> b[FN];
      GAN_CONV_UNROLL
      for (int j = 0; j < FN; ++j) wmma::load_matrix_sync(b[j], &sm.b[kk][wn + 16 * j], ldb);
      GAN_CONV_UNROLL
      for (int i = 0; i < FM; ++i) {
        wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::col_major> a;
        wmma::load_matrix_sync(a, &sm.a[kk][wm + 16 * i], lda);
        GAN_CONV_UNROLL
        for (int j = 0; j < FN; ++j) wmma::mma_sync(acc[i][j], a, b[j], acc[i][j]);
      }
    }
    __syncthreads();  // everyone is done reading before the next slice is stored
  }

  // Epilogue: per row of fragments, stage 16 x 32 values, then lane j writes column wn + j of
  // each of the 16 rows (consecutive lanes, consecutive output positions).
  float(*stage)[ldc] = sm.c[warp];
  const int n = n0 + wn + lane;
  GAN_CONV_UNROLL
  for (int i = 0; i < FM; ++i) {
    GAN_CONV_UNROLL
    for (int j = 0; j < FN; ++j)
      wmma::store_matrix_sync(&stage[0][16 * j], acc[i][j], ldc, wmma::mem_row_major);
    __syncwarp();
    if (n < prob.N) {
      for (int r = 0; r < 16; ++r) {
        const int m = m0 + wm + 16 * i + r;
        if (m < prob.M) prob.store(m, n, stage[r][lane]);
      }
    }
    __syncwarp();  // the stage is read before the next row of fragments overwrites it
  }
#endif
}

}  // namespace gan::kernels::cuda
