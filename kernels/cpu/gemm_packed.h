// The float32 GEMM under the CPU convolutions: C (+)= A * B with packed panels and a
// register-blocked micro-kernel (the Goto / BLIS scheme).
//
// Why not only Eigen's product (which stays, as the plain path: conv2d.h, set_cpu_gemm): a
// convolution multiplies one weight matrix by many chunks of columns, and Eigen packs the weight
// again for every chunk and every thread. Here the weight is packed once per call (PackedA) and
// read by every chunk and thread; only the chunk's columns are packed per chunk.
//
// Blocking, from the inside out:
//   micro-tile  kMR x kNR of C held in 2 * kMR SIMD registers (kNR = two registers wide);
//               per k: two loads of B, kMR broadcasts of A, 2 * kMR fused multiply-adds;
//   kc          the depth of one pass: a B micro-panel (kc x kNR floats) fills half of this
//               machine's L1 data cache and stays there while the A micro-panels of a row block
//               stream past (the depth is cut into equal passes near kc: depth_block());
//   row block   A's rows per block: kc x rows floats fill a quarter of L2 (row_block());
//   nc          columns packed at a time: a B block (kc x nc floats) fills half of its L2.
// kc, nc and the row block are sized once per process from the caches the OS reports
// (blocking()). Operands read against their contiguous direction (the weight gradient's) are
// packed through in-register transposes (transpose_block).
// The register width is what Eigen vectorizes with on the build machine (-march=native:
// AVX-512, AVX2 or SSE; one float without SIMD), so the same code serves every machine.
#pragma once
#include <Eigen/Core>
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include <unistd.h>

namespace gan::kernels::cpu {

// A matrix in memory with any strides: element (r, c) is data[r * row_stride + c * col_stride].
// Its transpose is the same memory with the strides exchanged.
struct StridedMatrix {
  const float* data;
  int64_t rows, cols, row_stride, col_stride;
  float at(int64_t r, int64_t c) const { return data[r * row_stride + c * col_stride]; }
  StridedMatrix transposed() const { return {data, cols, rows, col_stride, row_stride}; }
};
// A row-major matrix with leading dimension ld.
inline StridedMatrix row_major(const float* data, int64_t rows, int64_t cols, int64_t ld) {
  return {data, rows, cols, ld, 1};
}

namespace gemm {

// Eigen's packets are vector types with alignment attributes, which templates such as
// PacketBlock<Packet, n> drop (harmlessly: only the type is used).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"

using Packet = Eigen::internal::packet_traits<float>::type;
constexpr int kLanes = Eigen::internal::packet_traits<float>::size;
constexpr int kNR = 2 * kLanes;                 // micro-tile columns
constexpr int kMR = kLanes >= 16 ? 8 : 6;       // micro-tile rows: 16 of 32 zmm, 12 of 16 ymm

// The cache blocking of this machine: kc from the L1 data cache, nc and the row block from the
// L2 (sysconf; 32 KiB and 512 KiB where the OS does not say). A B block (kc x nc) takes half of
// L2 and a block of A's rows (rows x kc) a quarter, so that a tall A (a 2048-row GEMM, the data
// gradient's transposed weight) is not streamed from L3 once per B micro-panel.
struct Blocking {
  int64_t kc, nc;
  int64_t a_block_floats;
  // The rows of A per block for a pass kc deep: whole micro-tiles, at least one.
  int64_t row_block(int64_t kc_pass) const {
    return std::max<int64_t>(kMR, a_block_floats / std::max<int64_t>(kc_pass, 1) / kMR * kMR);
  }
};
inline Blocking blocking_for_caches(int64_t l1_bytes, int64_t l2_bytes) {
  if (l1_bytes <= 0) l1_bytes = int64_t(32) << 10;
  if (l2_bytes <= 0) l2_bytes = int64_t(512) << 10;
  const int64_t kc = std::clamp<int64_t>(l1_bytes / 2 / (4 * kNR) / 8 * 8, 32, 2048);
  const int64_t nc = std::max<int64_t>(kNR, l2_bytes / 2 / (4 * kc) / kNR * kNR);
  return {kc, nc, l2_bytes / 4 / 4};
}
inline const Blocking& blocking() {
  static const Blocking b =
      blocking_for_caches(sysconf(_SC_LEVEL1_DCACHE_SIZE), sysconf(_SC_LEVEL2_CACHE_SIZE));
  return b;
}

inline int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

// The depth of each pass over a K-deep product: K cut into as few equal blocks as keep each
// between about 3/4 and 3/2 of kc. Cutting off kc-deep blocks instead leaves a thin last one
// (a 205-deep product: 192 + 13) that costs a whole extra load and store of C for little work.
inline int64_t depth_block(int64_t depth, int64_t kc) {
  const int64_t blocks = std::max<int64_t>(1, (depth + kc / 2) / kc);
  return (depth + blocks - 1) / blocks;
}

using AlignedFloats = std::vector<float, Eigen::aligned_allocator<float>>;

// C[kMR, kNR] (row-major, ldc) = or += a (kc x kMR, packed) * b (kc x kNR, packed).
template <bool kAccumulate>
inline void micro_tile(int64_t kc, const float* a, const float* b, float* c, int64_t ldc) {
  using namespace Eigen::internal;
  Packet acc0[kMR], acc1[kMR];
  for (int i = 0; i < kMR; ++i) acc0[i] = acc1[i] = pset1<Packet>(0.0f);
  for (int64_t k = 0; k < kc; ++k) {
    const Packet b0 = pload<Packet>(b), b1 = pload<Packet>(b + kLanes);
    for (int i = 0; i < kMR; ++i) {
      const Packet ai = pset1<Packet>(a[i]);
      acc0[i] = pmadd(ai, b0, acc0[i]);
      acc1[i] = pmadd(ai, b1, acc1[i]);
    }
    a += kMR;
    b += kNR;
  }
  for (int i = 0; i < kMR; ++i) {
    float* ci = c + i * ldc;
    if (kAccumulate) {
      acc0[i] = padd(acc0[i], ploadu<Packet>(ci));
      acc1[i] = padd(acc1[i], ploadu<Packet>(ci + kLanes));
    }
    pstoreu(ci, acc0[i]);
    pstoreu(ci + kLanes, acc1[i]);
  }
}

// A partial tile (rows < kMR or cols < kNR at the edges of C): computed in a full tile on the
// stack, then the valid part is stored.
inline void edge_tile(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                      int64_t rows, int64_t cols, bool accumulate) {
  alignas(64) float tile[kMR * kNR];
  micro_tile<false>(kc, a, b, tile, kNR);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      c[i * ldc + j] = accumulate ? c[i * ldc + j] + tile[i * kNR + j] : tile[i * kNR + j];
}

// dst[r * dst_stride + i] = src[i * src_stride + r] for i, r < n: an n x n block transposed in
// registers, where n is the width of the packet type P (a template, so that a shape the machine's
// packets cannot hold, such as 6 x 6 on AVX2, is never compiled).
template <class P, int n>
inline bool transpose_block(const float* src, int64_t src_stride, float* dst, int64_t dst_stride) {
  using namespace Eigen::internal;
  if constexpr (n > 1 && unpacket_traits<P>::size == n) {
    PacketBlock<P, n> blk;
    for (int i = 0; i < n; ++i) blk.packet[i] = ploadu<P>(src + i * src_stride);
    ptranspose(blk);
    for (int r = 0; r < n; ++r) pstoreu(dst + r * dst_stride, blk.packet[r]);
    return true;
  } else {
    return false;
  }
}

// Rows [r0, r0 + kMR) x depth [k0, k0 + kc) of A into dst (k-major, kMR floats per k), rows past
// the end as zeros. Reads along whichever stride of A is contiguous (a transposed weight is read
// down its rows).
inline void pack_a_panel(const StridedMatrix& A, int64_t r0, int64_t k0, int64_t kc, float* dst) {
  const int64_t rows = std::min<int64_t>(kMR, A.rows - r0);
  const float* base = A.data + r0 * A.row_stride + k0 * A.col_stride;
  if (A.row_stride == 1) {
    for (int64_t k = 0; k < kc; ++k) {
      const float* src = base + k * A.col_stride;
      for (int64_t i = 0; i < kMR; ++i) dst[k * kMR + i] = i < rows ? src[i] : 0.0f;
    }
    return;
  }
  // kMR rows read along k (a row-major A: the gy chunk of the weight gradient): kMR x kMR blocks
  // transposed in registers where half a packet holds kMR floats (AVX-512), the rest one by one.
  using Half = typename Eigen::internal::unpacket_traits<Packet>::half;
  int64_t k_done = 0;
  if (A.col_stride == 1 && rows == kMR)
    while (k_done + kMR <= kc &&
           transpose_block<Half, kMR>(base + k_done, A.row_stride, dst + k_done * kMR, kMR))
      k_done += kMR;
  for (int64_t i = 0; i < kMR; ++i) {
    if (i >= rows) {
      for (int64_t k = k_done; k < kc; ++k) dst[k * kMR + i] = 0.0f;
      continue;
    }
    const float* src = base + i * A.row_stride;
    for (int64_t k = k_done; k < kc; ++k) dst[k * kMR + i] = src[k * A.col_stride];
  }
}

// Depth [k0, k0 + kc) x columns [c0, c0 + kNR) of B into dst (k-major, kNR floats per k),
// columns past the end as zeros. Reads along whichever stride of B is contiguous.
inline void pack_b_panel(const StridedMatrix& B, int64_t k0, int64_t kc, int64_t c0, float* dst) {
  const int64_t cols = std::min<int64_t>(kNR, B.cols - c0);
  const float* base = B.data + k0 * B.row_stride + c0 * B.col_stride;
  if (B.col_stride == 1) {
    for (int64_t k = 0; k < kc; ++k) {
      std::memcpy(dst + k * kNR, base + k * B.row_stride, size_t(cols) * sizeof(float));
      std::fill(dst + k * kNR + cols, dst + (k + 1) * kNR, 0.0f);
    }
  } else {
    // B read down its columns (a transposed matrix: the weight gradient's column matrix):
    // kLanes x kLanes blocks transposed in registers, the ragged rest one float at a time.
    int64_t j = 0;
    if (B.row_stride == 1) {
      for (; j + kLanes <= cols && kLanes > 1; j += kLanes) {
        const float* src = base + j * B.col_stride;
        int64_t k = 0;
        while (k + kLanes <= kc &&
               transpose_block<Packet, kLanes>(src + k, B.col_stride, dst + k * kNR + j, kNR))
          k += kLanes;
        for (; k < kc; ++k)
          for (int r = 0; r < kLanes; ++r) dst[k * kNR + j + r] = src[r * B.col_stride + k];
      }
    }
    for (; j < kNR; ++j) {
      if (j >= cols) {
        for (int64_t k = 0; k < kc; ++k) dst[k * kNR + j] = 0.0f;
        continue;
      }
      const float* src = base + j * B.col_stride;
      for (int64_t k = 0; k < kc; ++k) dst[k * kNR + j] = src[k * B.row_stride];
    }
  }
}

#pragma GCC diagnostic pop

}  // namespace gemm

// A packed once into the micro-kernel's panels: for each depth block [k0, k0 + kc) (kc deep,
// the last one shorter), the row panels one after the other. Built once per convolution call
// and shared, read-only, by every thread.
class PackedA {
 public:
  PackedA() = default;
  explicit PackedA(const StridedMatrix& A) { pack(A); }
  // Packs A, reusing this object's memory (for an A that changes with every chunk).
  void pack(const StridedMatrix& A) {
    rows_ = A.rows;
    depth_ = A.cols;
    padded_rows_ = gemm::round_up(A.rows, gemm::kMR);
    kc_ = gemm::depth_block(depth_, gemm::blocking().kc);
    if (data_.size() < size_t(padded_rows_ * depth_)) data_.resize(size_t(padded_rows_ * depth_));
    for (int64_t k0 = 0; k0 < depth_; k0 += kc_) {
      const int64_t kc = std::min(kc_, depth_ - k0);
      for (int64_t r0 = 0; r0 < rows_; r0 += gemm::kMR)
        gemm::pack_a_panel(A, r0, k0, kc, panel(k0, r0, kc));
    }
  }
  int64_t rows() const { return rows_; }
  int64_t depth() const { return depth_; }
  int64_t block_depth() const { return kc_; }  // the depth of each pass (the last one shorter)
  // The panel of rows [r0, r0 + kMR) in the depth block starting at k0 (kc deep).
  const float* panel(int64_t k0, int64_t r0, int64_t kc) const {
    return data_.data() + k0 * padded_rows_ + r0 * kc;
  }

 private:
  float* panel(int64_t k0, int64_t r0, int64_t kc) { return data_.data() + k0 * padded_rows_ + r0 * kc; }
  int64_t rows_ = 0, depth_ = 0, padded_rows_ = 0, kc_ = 0;
  gemm::AlignedFloats data_;
};

// C [A.rows(), B.cols] (row-major, leading dimension ldc) = A * B, or += with accumulate.
// Single-threaded: the convolutions give each thread its own columns or rows.
inline void gemm_packed(const PackedA& A, const StridedMatrix& B, float* C, int64_t ldc,
                        bool accumulate) {
  using namespace gemm;
  const int64_t M = A.rows(), K = A.depth(), N = B.cols;
  if (M == 0 || N == 0) return;
  if (K == 0) {
    if (!accumulate)
      for (int64_t i = 0; i < M; ++i) std::fill(C + i * ldc, C + i * ldc + N, 0.0f);
    return;
  }
  thread_local AlignedFloats b_block;
  const int64_t kc_block = A.block_depth(), nc_block = blocking().nc;
  if (b_block.size() < size_t(kc_block * nc_block)) b_block.resize(size_t(kc_block * nc_block));
  for (int64_t j0 = 0; j0 < N; j0 += nc_block) {
    const int64_t nc = std::min(nc_block, N - j0);
    for (int64_t k0 = 0; k0 < K; k0 += kc_block) {
      const int64_t kc = std::min(kc_block, K - k0);
      const bool add = accumulate || k0 > 0;
      for (int64_t jr = 0; jr < nc; jr += kNR)
        pack_b_panel(B, k0, kc, j0 + jr, b_block.data() + jr * kc);
      const int64_t mc = blocking().row_block(kc);
      for (int64_t ic = 0; ic < M; ic += mc) {  // a block of A's rows, kept in L2
        const int64_t ie = std::min(M, ic + mc);
        for (int64_t jr = 0; jr < nc; jr += kNR) {  // a B micro-panel, kept in L1
          const float* b = b_block.data() + jr * kc;
          const int64_t cols = std::min<int64_t>(kNR, nc - jr);
          for (int64_t i0 = ic; i0 < ie; i0 += kMR) {
            const float* a = A.panel(k0, i0, kc);
            float* c = C + i0 * ldc + j0 + jr;
            const int64_t rows = std::min<int64_t>(kMR, M - i0);
            if (rows == kMR && cols == kNR) {
              if (add)
                micro_tile<true>(kc, a, b, c, ldc);
              else
                micro_tile<false>(kc, a, b, c, ldc);
            } else {
              edge_tile(kc, a, b, c, ldc, rows, cols, add);
            }
          }
        }
      }
    }
  }
}

// The same for an A used once: packed here, into memory this thread keeps for the next call.
inline void gemm_packed(const StridedMatrix& A, const StridedMatrix& B, float* C, int64_t ldc,
                        bool accumulate) {
  thread_local PackedA packed;
  packed.pack(A);
  gemm_packed(packed, B, C, ldc, accumulate);
}

}  // namespace gan::kernels::cpu
