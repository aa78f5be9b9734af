// The tiled implicit-GEMM kernel behind convolution variants 1 and 2 (device code, included by
// kernels/cuda/conv2d.cu; docs/kernels.md "Convolution").
//
// Every convolution pass is a GEMM C[M x N] = A[M x K] * B[K x N] whose operands are never
// materialised: a problem type (kernels/cuda/conv_problems.cuh) says how to read A(m, k) and
// B(k, n) from the tensors (zero outside the image: the padding) and where C(m, n) goes.
// A block computes a BM x BN tile of C. It walks K in BK-deep slices: the block's threads load the
// A slice (BM x BK) and the B slice (BK x BN) into shared memory, then every thread multiplies its
// TM x TN micro-tile from there in registers. The next slice is loaded into registers while the
// current one is multiplied (one slice of prefetch), so global latency overlaps the arithmetic.
// Thread (ty, tx) owns rows ty*TM .. ty*TM+TM-1 (contiguous: float4 reads of A, broadcast within
// the warp) and columns tx, tx + BN/TN, ... (strided: consecutive threads read consecutive B
// entries without bank conflicts and store consecutive C columns, i.e. coalesced NCHW rows).
#pragma once
#include "kernels/cuda/launch.h"

// Full unrolling of the fixed-size loops under nvcc (the host compiler of the emulator has no
// such pragma and decides on its own).
#if defined(__CUDACC__)
#define GAN_CONV_UNROLL _Pragma("unroll")
#else
#define GAN_CONV_UNROLL
#endif

namespace gan::kernels::cuda {

template <int BM_, int BN_, int BK_, int TM_, int TN_>
struct GemmTile {
  static constexpr bool kTensorCores = false;
  static constexpr int BM = BM_, BN = BN_, BK = BK_, TM = TM_, TN = TN_;
  static constexpr int kThreads = (BM / TM) * (BN / TN);
  static constexpr int kALoads = BM * BK / kThreads;  // A values each thread loads per slice
  static constexpr int kBLoads = BK * BN / kThreads;
  static_assert(kThreads == 256, "the launchers use 256-thread blocks");
  static_assert(TM % 4 == 0, "rows are read from shared memory as float4");
  static_assert(kThreads % BK == 0 && kThreads % BM == 0 && kThreads % BN == 0, "load mapping");
  static_assert(BM * BK % kThreads == 0 && BK * BN % kThreads == 0, "load mapping");
};
using Tile64 = GemmTile<64, 64, 16, 4, 4>;   // variant 1
using Tile128 = GemmTile<128, 128, 8, 8, 8>;  // variant 2

// Shared-memory rows are padded by 4 floats: the k-fastest stores hit 8 banks instead of 1 while
// rows stay 16-byte aligned for the float4 reads.
constexpr int kSmemPad = 4;

// The load coordinates of a thread: the i-th of its values in a slice.
//   A, k fastest (kAKFast): consecutive threads read consecutive k of one row (weights, gy rows);
//   A, m fastest:           consecutive threads read consecutive rows m of one k.
//   B, n fastest (kBNFast): consecutive threads read consecutive columns n (image rows);
//   B, k fastest:           consecutive threads read consecutive k of one column.
template <class Tl, bool kFast>
__device__ __forceinline__ void a_coord(int t, int i, int& m, int& k) {
  if (kFast) {
    k = t % Tl::BK;
    m = t / Tl::BK + i * (Tl::kThreads / Tl::BK);
  } else {
    m = t % Tl::BM;
    k = t / Tl::BM + i * (Tl::kThreads / Tl::BM);
  }
}
template <class Tl, bool nFast>
__device__ __forceinline__ void b_coord(int t, int i, int& k, int& n) {
  if (nFast) {
    n = t % Tl::BN;
    k = t / Tl::BN + i * (Tl::kThreads / Tl::BN);
  } else {
    k = t % Tl::BK;
    n = t / Tl::BK + i * (Tl::kThreads / Tl::BK);
  }
}

// Global -> registers: thread t's share of the K slice starting at k0 of the tile at (m0, n0), in
// the coalesced order of a_coord / b_coord; zero outside the problem (the padding, the ragged
// edges). Both tiled kernels (FP32 here, TF32 in conv_wmma.cuh) load through it.
template <class Tl, class P>
__device__ __forceinline__ void load_slice_to_registers(const P& prob, int t, int m0, int n0, int k0,
                                                        float (&ra)[Tl::kALoads], float (&rb)[Tl::kBLoads]) {
  GAN_CONV_UNROLL
  for (int i = 0; i < Tl::kALoads; ++i) {
    int m, k;
    a_coord<Tl, P::kAKFast>(t, i, m, k);
    m += m0;
    k += k0;
    ra[i] = (m < prob.M && k < prob.k_end) ? prob.a(m, k) : 0.0f;
  }
  GAN_CONV_UNROLL
  for (int i = 0; i < Tl::kBLoads; ++i) {
    int k, n;
    b_coord<Tl, P::kBNFast>(t, i, k, n);
    n += n0;
    k += k0;
    rb[i] = (n < prob.N && k < prob.k_end) ? prob.b(k, n) : 0.0f;
  }
}

// Grid: x over column tiles, y over row tiles, z as the problem's select() reads it (the stride
// phase of a data gradient, the K split of a weight gradient). A block whose tile lies outside its
// problem (a phase with fewer columns than the grid) leaves as a whole before any barrier.
template <class Tl, class P>
__global__ void __launch_bounds__(256) conv_gemm_kernel(P prob) {
  constexpr int BM = Tl::BM, BN = Tl::BN, BK = Tl::BK, TM = Tl::TM, TN = Tl::TN;
  constexpr int kCols = BN / TN;  // threads along a row of the tile
  GAN_SHARED(float, As, [BK][BM + kSmemPad]);
  GAN_SHARED(float, Bs, [BK][BN + kSmemPad]);

  prob.select(blockIdx.z);
  const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
  if (m0 >= prob.M || n0 >= prob.N) return;  // block-uniform
  const int t = threadIdx.x, tx = t % kCols, ty = t / kCols;

  float ra[Tl::kALoads], rb[Tl::kBLoads];
  auto load_slice = [&](int k0) { load_slice_to_registers<Tl>(prob, t, m0, n0, k0, ra, rb); };

  float acc[TM][TN];
  GAN_CONV_UNROLL
  for (int i = 0; i < TM; ++i)
    GAN_CONV_UNROLL
    for (int j = 0; j < TN; ++j) acc[i][j] = 0.0f;

  if (prob.k_begin < prob.k_end) load_slice(prob.k_begin);
  for (int k0 = prob.k_begin; k0 < prob.k_end; k0 += BK) {
    GAN_CONV_UNROLL
    for (int i = 0; i < Tl::kALoads; ++i) {
      int m, k;
      a_coord<Tl, P::kAKFast>(t, i, m, k);
      As[k][m] = ra[i];
    }
    GAN_CONV_UNROLL
    for (int i = 0; i < Tl::kBLoads; ++i) {
      int k, n;
      b_coord<Tl, P::kBNFast>(t, i, k, n);
      Bs[k][n] = rb[i];
    }
    __syncthreads();
    if (k0 + BK < prob.k_end) load_slice(k0 + BK);  // in flight while this slice is multiplied
    GAN_CONV_UNROLL
    for (int kk = 0; kk < BK; ++kk) {
      float a[TM], b[TN];
      GAN_CONV_UNROLL
      for (int i = 0; i < TM; i += 4) {
        const float4 v = *reinterpret_cast<const float4*>(&As[kk][ty * TM + i]);
        a[i] = v.x;
        a[i + 1] = v.y;
        a[i + 2] = v.z;
        a[i + 3] = v.w;
      }
      GAN_CONV_UNROLL
      for (int j = 0; j < TN; ++j) b[j] = Bs[kk][tx + j * kCols];
      GAN_CONV_UNROLL
      for (int i = 0; i < TM; ++i)
        GAN_CONV_UNROLL
        for (int j = 0; j < TN; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
    __syncthreads();  // everyone is done reading before the next slice is stored
  }

  GAN_CONV_UNROLL
  for (int i = 0; i < TM; ++i) {
    const int m = m0 + ty * TM + i;
    if (m >= prob.M) continue;
    GAN_CONV_UNROLL
    for (int j = 0; j < TN; ++j) {
      const int n = n0 + tx + j * kCols;
      if (n < prob.N) prob.store(m, n, acc[i][j]);
    }
  }
}

}  // namespace gan::kernels::cuda
