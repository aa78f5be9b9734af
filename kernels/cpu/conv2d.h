// CPU kernels of conv2d: forward, data gradient, weight gradient, bias add and bias gradient.
//
// The general path is im2col + Eigen GEMM over chunks of output columns (conv_im2col.h): the
// GEMM's long side is the batch's output positions n*Ho*Wo. The chunks are spread over the
// OpenMP threads, each thread running its own single-threaded GEMM on its own scratch, so im2col
// and col2im run in parallel too. Special cases: 1x1 stride-1 convolutions use x itself as the
// column matrix; few output channels go to the direct kernels (conv_direct.h); fewer output
// positions than output channels (small planes) split the output channels between the threads
// instead (split_channel_threads).
// The transposed convolution reuses these kernels with x and y exchanged (conv_transpose2d.h).
#pragma once
#include <Eigen/Core>
#include <algorithm>
#include <memory>
#include <type_traits>
#include <vector>

#include "kernels/cpu/conv_direct.h"
#include "kernels/cpu/conv_im2col.h"
#include "kernels/cpu/gemm_packed.h"

namespace gan::kernels::cpu {

template <class T>
using VecMap = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>;

// The GEMM under the float32 convolutions: our packed one (gemm_packed.h, the default) or Eigen's
// general product (the plain path, kept for comparison in tests and benchmarks). float64 always
// uses Eigen's.
enum class CpuGemm { packed, eigen };
inline CpuGemm& cpu_gemm_setting() {
  static CpuGemm g = CpuGemm::packed;
  return g;
}
inline void set_cpu_gemm(CpuGemm g) { cpu_gemm_setting() = g; }

namespace detail {

// A row-major Eigen map or block of one, or the transpose of one, as a strided matrix.
template <class M>
StridedMatrix strided(const M& m) {
  static_assert(M::IsRowMajor, "row-major views only");
  return {m.data(), m.rows(), m.cols(), m.outerStride(), 1};
}
template <class M>
StridedMatrix strided(const Eigen::Transpose<M>& m) {
  return strided(m.nestedExpression()).transposed();
}

// Below this many columns of B, or this depth, the packed GEMM does not pay for its packing (the
// small planes of the U-Net's inner layers, where the time goes into reading or writing the
// weight once): Eigen's product.
constexpr int64_t kPackedMinColumns = 64;

// out [A.rows(), B.cols()] (row-major, leading dimension ldc) = A * B, or += with accumulate.
// The packed GEMM runs for float with A already packed (a weight, pack_once), or with
// pack_a_here for an A that is itself per chunk (the gy chunk of the weight gradient) when B has
// enough columns; everything else is Eigen's product.
template <class T, class MA, class MB>
void multiply(const MA& A, const MB& B, T* out, int64_t ldc, bool accumulate,
              const PackedA* packed_a = nullptr, bool pack_a_here = false) {
  if constexpr (std::is_same_v<T, float>) {
    if (cpu_gemm_setting() == CpuGemm::packed) {
      if (packed_a) {
        gemm_packed(*packed_a, strided(B), out, ldc, accumulate);
        return;
      }
      if (pack_a_here && B.cols() >= kPackedMinColumns && A.cols() >= kPackedMinColumns) {
        gemm_packed(strided(A), strided(B), out, ldc, accumulate);
        return;
      }
    }
  }
  MatMap<T> C(out, A.rows(), B.cols(), Eigen::OuterStride<>(ldc));
  if (accumulate)
    C.noalias() += A * B;
  else
    C.noalias() = A * B;
}

// Packing a weight costs about one pass over it; below this many columns in all (the planes of
// 8x8 and smaller) the products do not repay it, and Eigen's product runs instead. At 512 (16x16
// planes) the U-Net's 8-16 MB weights at 16x16 ran on Eigen: packed, up4's forward runs at 154
// against 104 GFLOP/s and down4's weight gradient at 155 against 112 (AVX2 EPYC).
constexpr int64_t kPackedWeightMinColumns = 64;

// A packed once for every chunk when the packed GEMM will run: chunks of `chunk_columns`
// columns, `total_columns` in all. Else nothing.
template <class T, class MA>
std::unique_ptr<PackedA> pack_once(const MA& A, int64_t chunk_columns, int64_t total_columns) {
  if constexpr (std::is_same_v<T, float>) {
    if (cpu_gemm_setting() == CpuGemm::packed && chunk_columns >= kPackedMinColumns &&
        total_columns >= kPackedWeightMinColumns)
      return std::make_unique<PackedA>(strided(A));
  }
  return nullptr;
}

// The column matrix of chunk [j0, j1): a view of x for pointwise convolutions inside one image,
// else built in `col` (K x L). Returns the data pointer and its leading dimension.
template <class T>
ConstMatMap<T> columns_of(const T* x, const ConvGeometry& g, int64_t j0, int64_t j1, T* col) {
  const int64_t K = g.patch(), L = j1 - j0;
  if (g.is_pointwise()) {
    if (const T* view = chunk_in_one_image(x, K, g.in_plane(), j0, j1))
      return ConstMatMap<T>(view, K, L, Eigen::OuterStride<>(g.in_plane()));
    gather_chunk(x, K, g.in_plane(), j0, j1, col);
  } else {
    im2col_chunk(x, g, j0, j1, col, L);
  }
  return ConstMatMap<T>(col, K, L, Eigen::OuterStride<>(L));
}

// The [c_out, L] chunk of gy: a strided view inside one image, else gathered into `buf`.
template <class T>
ConstMatMap<T> grad_chunk(const T* gy, const ConvGeometry& g, int64_t j0, int64_t j1, T* buf) {
  const int64_t L = j1 - j0;
  if (const T* view = chunk_in_one_image(gy, g.c_out, g.out_plane(), j0, j1))
    return ConstMatMap<T>(view, g.c_out, L, Eigen::OuterStride<>(g.out_plane()));
  gather_chunk(gy, g.c_out, g.out_plane(), j0, j1, buf);
  return ConstMatMap<T>(buf, g.c_out, L, Eigen::OuterStride<>(L));
}

// The input channels split between the threads (data and weight gradients): thread t owns
// channels [c0(t), c1(t)), i.e. rows [c0 * k * k, c1 * k * k) of the column matrix, which it
// builds or scatters alone; its scratch holds those rows and the gy chunk for one chunk of columns.
template <class T>
struct BasicInputChannelSplit {
  int threads;
  int64_t kk, rows_max;
  ColumnChunks chunks;
  int64_t scratch_per_thread;
  explicit BasicInputChannelSplit(const ConvGeometry& g)
      : threads(int(std::min<int64_t>(conv_threads_for(g), g.c_in))),
        kk(g.k * g.k),
        rows_max((g.c_in + threads - 1) / threads * kk),
        chunks(column_chunks(g.columns(), rows_max, sizeof(T), 1)),
        scratch_per_thread((rows_max + g.c_out) * chunks.length),
        c_in_(g.c_in) {}
  int64_t c0(int t) const { return c_in_ * t / threads; }
  int64_t c1(int t) const { return c_in_ * (t + 1) / threads; }

 private:
  int64_t c_in_;
};

// Runs f(c0, c1, rows, scratch) once on every thread of the split: its channels [c0, c1),
// their rows of the column matrix, and its own scratch.
template <class T, class F>
void for_each_channel_range(const BasicInputChannelSplit<T>& split, F&& f) {
  T* buffers = conv_scratch<T>(size_t(split.scratch_per_thread * split.threads));
#pragma omp parallel num_threads(split.threads) if (split.threads > 1)
  {
    const int t = conv_thread_id();
    const int64_t c0 = split.c0(t), c1 = split.c1(t);
    f(c0, c1, (c1 - c0) * split.kk, buffers + split.scratch_per_thread * t);
  }
}

// Small spatial sizes (the U-Net's inner layers: 1x1 to 8x8 planes) have fewer output positions
// than output channels. Chunking the positions then leaves each thread a sliver of columns against
// the whole weight (and, for the weight gradient, a whole private copy of dw to reduce). Instead the
// full column matrix (small: K x positions) is built once, and the threads split the output
// channels: each reads only its rows of the weight, writes only its rows of the result.
// The thread count for that split: a large weight is worth two threads even when the FLOPs are few,
// since then the time goes into reading (or, for its gradient, writing) the weight. 0: no split.
inline int split_channel_threads(const ConvGeometry& g) {
  const int threads = g.c_out * g.patch() >= (int64_t(1) << 18) ? conv_threads() : conv_threads_for(g);
  return threads > 1 && g.columns() < g.c_out && g.c_out >= 32 * threads ? threads : 0;
}

// Rows [m0, m1) of `rows` for thread t of `threads`, in multiples of 16 (whole AVX-512 vectors).
inline void row_range(int64_t rows, int t, int threads, int64_t& m0, int64_t& m1) {
  const int64_t blocks = (rows + 15) / 16;
  m0 = std::min(rows, blocks * t / threads * 16);
  m1 = std::min(rows, blocks * (t + 1) / threads * 16);
}

// dcol [rows, L] (row-major, leading dimension L) = W[:, col0 : col0 + rows]^T * G for a few
// columns L (planes of 1x1 to 4x4). Eigen would pack the whole weight slice for a product this
// thin, costing more than the product; here each weight row is read once, as rank-1 updates into
// a block of the result small enough to stay in L1.
constexpr int64_t kFewColumns = 16;
template <class T>
void wt_times_few_columns(const T* w, int64_t K, int64_t col0, int64_t rows,
                          const ConstMatMap<T>& G, T* dcol) {
  const int64_t M = G.rows(), L = G.cols();
  const int64_t block = std::max<int64_t>(64, 4096 / L);  // acc: <= 16 KiB of float
  thread_local std::vector<T> acc_buffer;
  if (acc_buffer.size() < size_t(block * L)) acc_buffer.resize(size_t(block * L));
  T* acc = acc_buffer.data();  // column-major [rb, L]
  for (int64_t r0 = 0; r0 < rows; r0 += block) {
    const int64_t rb = std::min(block, rows - r0);
    std::fill(acc, acc + rb * L, T(0));
    for (int64_t m = 0; m < M; ++m) {
      const T* wr = w + m * K + col0 + r0;
      for (int64_t j = 0; j < L; ++j) {
        const T g = G(m, j);
        T* a = acc + j * rb;
#pragma omp simd
        for (int64_t r = 0; r < rb; ++r) a[r] += g * wr[r];
      }
    }
    for (int64_t r = 0; r < rb; ++r)
      for (int64_t j = 0; j < L; ++j) dcol[(r0 + r) * L + j] = acc[j * rb + r];
  }
}

}  // namespace detail

// Whether g goes to the direct kernels (conv_direct.h: few output channels, not pointwise) rather
// than to im2col + GEMM; forward, data gradient and weight gradient route alike.
inline bool uses_direct_kernels(const ConvGeometry& g) {
  return g.c_out <= kDirectMaxOutChannels && !g.is_pointwise();
}

// Whether these kernels read reflection padding (g.reflect) straight from x: the im2col paths
// mirror the indices; the direct kernels do not, and get a padded x.
inline bool conv2d_reads_reflection(const ConvGeometry& g) { return !uses_direct_kernels(g); }

// y = conv(x, w) (+ bias when not null). x [n, c_in, h, w], w [c_out, c_in, k, k].
template <class T>
void conv2d_forward(const T* x, const T* w, const T* bias, T* y, const ConvGeometry& g) {
  if (uses_direct_kernels(g))
    return conv2d_forward_direct(x, w, bias, y, g);
  const int64_t K = g.patch(), M = g.c_out, P = g.out_plane();
  if (const int threads = detail::split_channel_threads(g)) {
    const int64_t L = g.columns();
    T* scratch = conv_scratch<T>(size_t((K + M) * L));
    const ConstMatMap<T> C = detail::columns_of(x, g, 0, L, scratch);  // all columns
    T* direct = chunk_in_one_image(y, M, P, 0, L);
    MatMap<T> Y(direct ? direct : scratch + K * L, M, L, Eigen::OuterStride<>(direct ? P : L));
#pragma omp parallel num_threads(threads)
    {
      int64_t m0, m1;
      detail::row_range(M, conv_thread_id(), threads, m0, m1);
      if (m1 > m0) {
        ConstMatMap<T> Wr(w + m0 * K, m1 - m0, K, Eigen::OuterStride<>(K));
        detail::multiply(Wr, C, Y.data() + m0 * Y.outerStride(), Y.outerStride(), false);
        if (bias) Y.middleRows(m0, m1 - m0).colwise() += VecMap<T>(bias + m0, m1 - m0);
      }
    }
    if (!direct) scatter_chunk(Y.data(), M, P, 0, L, y);
    return;
  }
  const ColumnChunks ch = column_chunks(g.columns(), K, sizeof(T), conv_threads_for(g));
  const int used = int(std::min<int64_t>(conv_threads_for(g), ch.count));
  const int64_t per_thread = (K + M) * ch.length;
  T* scratch = conv_scratch<T>(size_t(per_thread * used));
  ConstMatMap<T> W(w, M, K, Eigen::OuterStride<>(K));
  const auto packed_w = detail::pack_once<T>(W, ch.length, g.columns());
#pragma omp parallel for num_threads(used) schedule(static) if (used > 1)
  for (int64_t i = 0; i < ch.count; ++i) {
    const int64_t j0 = i * ch.length, j1 = std::min(g.columns(), j0 + ch.length), L = j1 - j0;
    T* col = scratch + per_thread * conv_thread_id();
    ConstMatMap<T> C = detail::columns_of(x, g, j0, j1, col);
    T* direct = chunk_in_one_image(y, M, P, j0, j1);
    MatMap<T> Y(direct ? direct : col + K * L, M, L, Eigen::OuterStride<>(direct ? P : L));
    detail::multiply(W, C, Y.data(), Y.outerStride(), false, packed_w.get());
    if (bias) Y.colwise() += VecMap<T>(bias, M);
    if (!direct) scatter_chunk(Y.data(), M, P, j0, j1, y);
  }
}

// dx = the gradient of conv(x, w) with respect to x, given gy (dx is overwritten).
template <class T>
void conv2d_backward_data(const T* gy, const T* w, T* dx, const ConvGeometry& g) {
  if (uses_direct_kernels(g))
    return conv2d_backward_data_direct(gy, w, dx, g);
  const int64_t K = g.patch(), M = g.c_out;
  ConstMatMap<T> W(w, M, K, Eigen::OuterStride<>(K));
  if (g.is_pointwise()) {  // dx's columns are disjoint per chunk: no col2im, no overlap
    const ColumnChunks ch = column_chunks(g.columns(), K, sizeof(T), conv_threads_for(g));
    const int used = int(std::min<int64_t>(conv_threads_for(g), ch.count));
    const int64_t per_thread = (K + M) * ch.length;
    T* scratch = conv_scratch<T>(size_t(per_thread * used));
    const auto packed_wt = detail::pack_once<T>(W.transpose(), ch.length, g.columns());
#pragma omp parallel for num_threads(used) schedule(static) if (used > 1)
    for (int64_t i = 0; i < ch.count; ++i) {
      const int64_t j0 = i * ch.length, j1 = std::min(g.columns(), j0 + ch.length), L = j1 - j0;
      T* buf = scratch + per_thread * conv_thread_id();
      ConstMatMap<T> G = detail::grad_chunk(gy, g, j0, j1, buf + K * L);
      T* direct = chunk_in_one_image(dx, K, g.in_plane(), j0, j1);
      MatMap<T> D(direct ? direct : buf, K, L, Eigen::OuterStride<>(direct ? g.in_plane() : L));
      detail::multiply(W.transpose(), G, D.data(), D.outerStride(), false, packed_wt.get());
      if (!direct) scatter_chunk(buf, K, g.in_plane(), j0, j1, dx);
    }
    return;
  }
  // Each thread owns a range of input channels: it computes their rows of the column gradient
  // (a slice of W^T times gy) and scatters them into its own planes of dx. No two threads write
  // the same element, so there is no barrier and no reduction.
  const detail::BasicInputChannelSplit<T> split(g);
  const ColumnChunks& cc = split.chunks;
  const int64_t kk = split.kk;
  detail::for_each_channel_range(split, [&](int64_t c0, int64_t c1, int64_t rows, T* dcol) {
    for (int64_t n = 0; n < g.n; ++n)
      std::fill(dx + (n * g.c_in + c0) * g.in_plane(), dx + (n * g.c_in + c1) * g.in_plane(), T(0));
    auto Wt = W.middleCols(c0 * kk, rows).transpose();
    const auto packed_wt = detail::pack_once<T>(Wt, cc.length, g.columns());  // this thread's rows
    for (int64_t i = 0; i < cc.count; ++i) {
      const int64_t j0 = i * cc.length, j1 = std::min(g.columns(), j0 + cc.length), L = j1 - j0;
      ConstMatMap<T> G = detail::grad_chunk(gy, g, j0, j1, dcol + rows * L);
      if (L <= detail::kFewColumns)
        detail::wt_times_few_columns(w, K, c0 * kk, rows, G, dcol);
      else
        detail::multiply(Wt, G, dcol, L, false, packed_wt.get());
      col2im_chunk(dcol, L, g, j0, j1, dx, c0, c1);
    }
  });
}

// dw = the gradient of conv(x, w) with respect to w, given gy (dw is overwritten).
template <class T>
void conv2d_backward_weight(const T* x, const T* gy, T* dw, const ConvGeometry& g) {
  if (uses_direct_kernels(g))
    return conv2d_backward_weight_direct(x, gy, dw, g);
  const int64_t K = g.patch(), M = g.c_out;
  if (const int threads = detail::split_channel_threads(g)) {
    const int64_t L = g.columns();
    T* scratch = conv_scratch<T>(size_t((K + M) * L));
    const ConstMatMap<T> C = detail::columns_of(x, g, 0, L, scratch);  // all columns
    const ConstMatMap<T> G = detail::grad_chunk(gy, g, 0, L, scratch + K * L);
#pragma omp parallel num_threads(threads)
    {
      int64_t m0, m1;
      detail::row_range(M, conv_thread_id(), threads, m0, m1);
      if (m1 > m0)
        detail::multiply(G.middleRows(m0, m1 - m0), C.transpose(), dw + m0 * K, K, false,
                         nullptr, true);
    }
    return;
  }
  if (!g.is_pointwise() && (g.c_in >= conv_threads_for(g) || conv_threads_for(g) == 1)) {
    // Each thread owns a range of input channels, i.e. a range of dw's columns: it builds only its
    // rows of every chunk's column matrix and accumulates straight into its columns of dw. No
    // private copies of dw, no reduction; only the small gy chunk is read by every thread.
    const detail::BasicInputChannelSplit<T> split(g);
    const ColumnChunks& cc = split.chunks;
    const int64_t kk = split.kk;
    detail::for_each_channel_range(split, [&](int64_t c0, int64_t c1, int64_t rows, T* col) {
      for (int64_t i = 0; i < cc.count; ++i) {
        const int64_t j0 = i * cc.length, j1 = std::min(g.columns(), j0 + cc.length), L = j1 - j0;
        im2col_chunk(x, g, j0, j1, col, L, c0, c1);
        const ConstMatMap<T> C(col, rows, L, Eigen::OuterStride<>(L));
        const ConstMatMap<T> G = detail::grad_chunk(gy, g, j0, j1, col + rows * L);
        detail::multiply(G, C.transpose(), dw + c0 * kk, K, i > 0, nullptr, true);
      }
    });
    return;
  }
  // Pointwise, or fewer input channels than threads: the threads split the columns, each
  // accumulating into its own copy of dw; the copies are summed at the end.
  const ColumnChunks ch = column_chunks(g.columns(), K, sizeof(T), conv_threads_for(g));
  const int used = int(std::min<int64_t>(conv_threads_for(g), ch.count));
  const int64_t per_thread = (K + M) * ch.length + M * K;  // columns, gy chunk, accumulator
  T* scratch = conv_scratch<T>(size_t(per_thread * used));
  auto accumulator = [&](int t) { return t == 0 ? dw : scratch + per_thread * t + (K + M) * ch.length; };
#pragma omp parallel num_threads(used) if (used > 1)
  {
    const int t = conv_thread_id();
    MatMap<T> Acc(accumulator(t), M, K, Eigen::OuterStride<>(K));
    Acc.setZero();
#pragma omp for schedule(static)
    for (int64_t i = 0; i < ch.count; ++i) {
      const int64_t j0 = i * ch.length, j1 = std::min(g.columns(), j0 + ch.length), L = j1 - j0;
      T* col = scratch + per_thread * t;
      ConstMatMap<T> C = detail::columns_of(x, g, j0, j1, col);
      ConstMatMap<T> G = detail::grad_chunk(gy, g, j0, j1, col + K * L);
      detail::multiply(G, C.transpose(), Acc.data(), K, true, nullptr, true);
    }
    // (implicit barrier) sum the other threads' copies into dw
#pragma omp for schedule(static)
    for (int64_t e = 0; e < M * K; ++e)
      for (int u = 1; u < used; ++u) dw[e] += accumulator(u)[e];
  }
}

// y[n, c, :] += bias[c] over planes of `plane` values.
template <class T>
void add_channel_bias(T* y, const T* bias, int64_t n, int64_t c, int64_t plane) {
#pragma omp parallel for collapse(2) schedule(static) if (n * c * plane > (1 << 16))
  for (int64_t i = 0; i < n; ++i)
    for (int64_t ch = 0; ch < c; ++ch) {
      Eigen::Map<ArrayVec<T>> p(y + (i * c + ch) * plane, plane);
      p += bias[ch];
    }
}

// db[c] = sum of gy[n, c, :] over the batch and the plane (the bias gradient).
template <class T>
void channel_sum(const T* gy, T* db, int64_t n, int64_t c, int64_t plane) {
#pragma omp parallel for schedule(static) if (n * c * plane > (1 << 16))
  for (int64_t ch = 0; ch < c; ++ch) {
    T s = 0;
    for (int64_t i = 0; i < n; ++i)
      s += Eigen::Map<const ArrayVec<T>>(gy + (i * c + ch) * plane, plane).sum();
    db[ch] = s;
  }
}

}  // namespace gan::kernels::cpu
