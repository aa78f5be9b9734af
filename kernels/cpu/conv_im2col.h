// Shared pieces of the CPU convolution kernels: im2col/col2im over a bounded range of output
// positions, and the reusable scratch memory. The geometry: kernels/common/conv_geometry.h.
//
// Columns: the output positions of the whole batch, flattened as j = (n * Ho + ho) * Wo + wo.
// Rows of a column matrix: r = (c * k + kh) * k + kw, so a weight [Cout, Cin, k, k] is a row-major
// [Cout, Cin*k*k] matrix and y[:, j] = W * col[:, j]. Kernels only ever build the columns of a
// chunk [j0, j1): memory stays bounded and the chunk stays in cache between im2col and the GEMM.
#pragma once
#include <Eigen/Core>
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "kernels/common/conv_geometry.h"
#include "kernels/cpu/gemm_packed.h"
#include "kernels/cpu/reflection_pad2d.h"

namespace gan::kernels::cpu {

template <class T>
using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using MatMap = Eigen::Map<RowMat<T>, 0, Eigen::OuterStride<>>;
template <class T>
using ConstMatMap = Eigen::Map<const RowMat<T>, 0, Eigen::OuterStride<>>;

// Output positions o in [0, count) whose input index o * stride + offset lies in [0, size).
struct ValidRange {
  int64_t begin, end;
};
inline ValidRange valid_range(int64_t offset, int64_t stride, int64_t size, int64_t count) {
  int64_t b = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  int64_t last = size - 1 - offset;
  int64_t e = last < 0 ? 0 : std::min(count, last / stride + 1);
  return {b, std::max(b, e)};
}

inline int conv_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}
inline int conv_thread_id() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

// Threads worth using for g: one for small convolutions, where waking a team (or waiting for a
// busy core) costs more than the work.
inline int conv_threads_for(const ConvGeometry& g) {
  return g.columns() * g.patch() * g.c_out < (int64_t(1) << 21) ? 1 : conv_threads();
}

// Scratch owned by the calling thread, grown on demand and reused across calls (no page faults
// on every layer). Bounded by the chunk sizes, so it never approaches a whole-batch im2col.
template <class T>
T* conv_scratch(size_t elems) {
  thread_local std::vector<T> buffer;
  if (buffer.size() < elems) buffer.resize(elems);
  return buffer.data();
}

// Chunking of the columns: the target chunk's column matrix is about kChunkBytes and at least
// kMinColumns wide (narrower GEMMs waste time re-packing the weight). Chunks are whole micro-tiles
// of the packed GEMM (gemm::kNR columns: a ragged chunk ends in a partial tile every pass), and the
// chunk size is the one, from the target down to half of it, that gives the busiest thread the
// fewest columns: 4096 columns at about 192 per chunk become 32 chunks of 128 over 2 threads, not
// 22 of 192 (2112 columns for one thread, 1984 for the other).
struct ColumnChunks {
  int64_t length, count;
};
inline ColumnChunks column_chunks(int64_t columns, int64_t rows, size_t elem_bytes, int threads) {
  constexpr int64_t kChunkBytes = int64_t(1) << 20, kMinColumns = 192, kUnit = gemm::kNR;
  const int64_t target = std::max<int64_t>(kMinColumns, kChunkBytes / (rows * int64_t(elem_bytes)));
  const int64_t units = (columns + kUnit - 1) / kUnit, t = std::max(threads, 1);
  if (units < 4 * t) {  // too few whole tiles to balance: equal chunks, a multiple of the threads
    int64_t count = (columns + target - 1) / target;
    if (columns >= t) count = (count + t - 1) / t * t;
    const int64_t len = (columns + count - 1) / count;
    return {len, (columns + len - 1) / len};
  }
  const int64_t most = std::max<int64_t>(1, (target + kUnit / 2) / kUnit);
  int64_t best = most, best_cost = -1;
  for (int64_t u = most; u >= std::max<int64_t>(1, (most + 1) / 2); --u) {
    const int64_t count = (units + u - 1) / u, cost = (count + t - 1) / t * u;  // busiest thread
    if (best_cost < 0 || cost < best_cost) best = u, best_cost = cost;
  }
  const int64_t len = std::min(columns, best * kUnit);
  return {len, (columns + len - 1) / len};
}

// Calls f(n, ho, wo_begin, length, offset) for the runs of columns [j0, j1) that stay within one
// output row; offset is the position of the run in the chunk.
template <class F>
void for_each_row_run(const ConvGeometry& g, int64_t j0, int64_t j1, F&& f) {
  int64_t j = j0;
  while (j < j1) {
    int64_t n = j / g.out_plane(), rem = j % g.out_plane();
    int64_t ho = rem / g.w_out, wo = rem % g.w_out;
    int64_t len = std::min(g.w_out - wo, j1 - j);
    f(n, ho, wo, len, j - j0);
    j += len;
  }
}

// col[r, j - j0] = x at the input position that kernel tap r sees from output j (0 in zero
// padding; with g.reflect the mirrored element of x, so no padded copy of x is ever made);
// col is row-major with leading dimension ld >= j1 - j0. With a channel range [c0, c1) only those
// channels' rows are built, as rows ((c - c0) * k + kh) * k + kw.
template <class T>
void im2col_chunk(const T* x, const ConvGeometry& g, int64_t j0, int64_t j1, T* col, int64_t ld,
                  int64_t c0 = 0, int64_t c1 = -1) {
  if (c1 < 0) c1 = g.c_in;
  const int64_t k = g.k, s = g.stride;
  for_each_row_run(g, j0, j1, [&](int64_t n, int64_t ho, int64_t wo0, int64_t len, int64_t off) {
    for (int64_t kh = 0; kh < k; ++kh) {
      int64_t hi = ho * s + kh - g.pad;
      if (g.reflect) hi = reflect_index(hi, g.h);
      const bool row_inside = hi >= 0 && hi < g.h;
      for (int64_t kw = 0; kw < k; ++kw) {
        ValidRange v = valid_range(kw - g.pad, s, g.w, g.w_out);
        int64_t a = std::clamp(v.begin, wo0, wo0 + len), b = std::clamp(v.end, a, wo0 + len);
        if (!row_inside) a = b = wo0;
        for (int64_t c = c0; c < c1; ++c) {
          T* dst = col + (((c - c0) * k + kh) * k + kw) * ld + off - wo0;  // indexed by wo
          if (g.reflect) {  // the row is inside; its ends mirror
            const T* row = x + ((n * g.c_in + c) * g.h + hi) * g.w;
            for (int64_t wo = wo0; wo < a; ++wo)
              dst[wo] = row[reflect_index(wo * s + kw - g.pad, g.w)];
            for (int64_t wo = b; wo < wo0 + len; ++wo)
              dst[wo] = row[reflect_index(wo * s + kw - g.pad, g.w)];
          } else {
            std::fill(dst + wo0, dst + a, T(0));
            std::fill(dst + b, dst + wo0 + len, T(0));
          }
          if (b > a) {
            const T* src = x + ((n * g.c_in + c) * g.h + hi) * g.w + kw - g.pad;  // by wo * s
            if (s == 1) {
              std::memcpy(dst + a, src + a, size_t(b - a) * sizeof(T));
            } else {
              for (int64_t wo = a; wo < b; ++wo) dst[wo] = src[wo * s];
            }
          }
        }
      }
    }
  });
}

// The adjoint of im2col_chunk for input channels [c0, c1) only: dx += scatter of col, where col
// holds just those channels' rows ((c - c0) * k + kh) * k + kw; with g.reflect the padded taps add
// into the elements they mirror. Threads given disjoint channel ranges never write the same element
// (reflection stays inside a channel's plane).
template <class T>
void col2im_chunk(const T* col, int64_t ld, const ConvGeometry& g, int64_t j0, int64_t j1, T* dx,
                  int64_t c0, int64_t c1) {
  const int64_t k = g.k, s = g.stride;
  for_each_row_run(g, j0, j1, [&](int64_t n, int64_t ho, int64_t wo0, int64_t len, int64_t off) {
    for (int64_t kh = 0; kh < k; ++kh) {
      int64_t hi = ho * s + kh - g.pad;
      if (g.reflect) hi = reflect_index(hi, g.h);
      if (hi < 0 || hi >= g.h) continue;
      for (int64_t kw = 0; kw < k; ++kw) {
        ValidRange v = valid_range(kw - g.pad, s, g.w, g.w_out);
        int64_t a = std::clamp(v.begin, wo0, wo0 + len), b = std::clamp(v.end, a, wo0 + len);
        for (int64_t c = c0; c < c1; ++c) {
          const T* src = col + (((c - c0) * k + kh) * k + kw) * ld + off - wo0;
          T* row = dx + ((n * g.c_in + c) * g.h + hi) * g.w;
          T* dst = row + kw - g.pad;
          if (s == 1) {
            for (int64_t wo = a; wo < b; ++wo) dst[wo] += src[wo];
          } else {
            for (int64_t wo = a; wo < b; ++wo) dst[wo * s] += src[wo];
          }
          if (g.reflect) {
            for (int64_t wo = wo0; wo < a; ++wo)
              row[reflect_index(wo * s + kw - g.pad, g.w)] += src[wo];
            for (int64_t wo = b; wo < wo0 + len; ++wo)
              row[reflect_index(wo * s + kw - g.pad, g.w)] += src[wo];
          }
        }
      }
    }
  });
}

// The chunk [j0, j1) of a [rows, n * plane] matrix stored per image as [n][rows][plane] (the
// NCHW layout of y or gy): one strided view when the chunk lies in one image, else nullptr.
template <class T>
T* chunk_in_one_image(T* base, int64_t rows, int64_t plane, int64_t j0, int64_t j1) {
  int64_t n = j0 / plane;
  if ((j1 - 1) / plane != n) return nullptr;
  return base + n * rows * plane + (j0 - n * plane);
}

// Copies between a chunk matrix m [rows, j1 - j0] and the per-image layout [n][rows][plane].
template <class T>
void gather_chunk(const T* base, int64_t rows, int64_t plane, int64_t j0, int64_t j1, T* m) {
  int64_t ld = j1 - j0;
  for (int64_t j = j0; j < j1;) {
    int64_t n = j / plane, p = j % plane, len = std::min(plane - p, j1 - j);
    for (int64_t r = 0; r < rows; ++r)
      std::memcpy(m + r * ld + (j - j0), base + (n * rows + r) * plane + p, size_t(len) * sizeof(T));
    j += len;
  }
}
template <class T>
void scatter_chunk(const T* m, int64_t rows, int64_t plane, int64_t j0, int64_t j1, T* base) {
  int64_t ld = j1 - j0;
  for (int64_t j = j0; j < j1;) {
    int64_t n = j / plane, p = j % plane, len = std::min(plane - p, j1 - j);
    for (int64_t r = 0; r < rows; ++r)
      std::memcpy(base + (n * rows + r) * plane + p, m + r * ld + (j - j0), size_t(len) * sizeof(T));
    j += len;
  }
}

}  // namespace gan::kernels::cpu
