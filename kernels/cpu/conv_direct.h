// Direct (no im2col) CPU convolution for few output channels, e.g. the 7x7 64->1 output layer of a
// ResNet generator. With c_out this small the GEMM degenerates to a matrix-vector product and
// im2col would write c_in*k*k values per output to read each of them once; here every kernel tap
// is one vectorised axpy / dot over an output row instead.
#pragma once
#include <Eigen/Core>

#include "kernels/cpu/conv_im2col.h"

namespace gan::kernels::cpu {

// The direct kernels pay off up to this many output channels.
constexpr int64_t kDirectMaxOutChannels = 4;

template <class T>
using ArrayVec = Eigen::Array<T, Eigen::Dynamic, 1>;

// Values src[0], src[s], ... (len of them) as an Eigen expression.
template <class T>
Eigen::Map<const ArrayVec<T>, 0, Eigen::InnerStride<>> strided(const T* src, int64_t len,
                                                               int64_t s) {
  return {src, len, Eigen::InnerStride<>(s)};
}

// y = conv(x, w) + bias; parallel over output rows.
template <class T>
void conv2d_forward_direct(const T* x, const T* w, const T* bias, T* y, const ConvGeometry& g) {
  const int64_t k = g.k, s = g.stride;
#pragma omp parallel for collapse(2) schedule(static) num_threads(conv_threads_for(g))
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t ho = 0; ho < g.h_out; ++ho)
      for (int64_t co = 0; co < g.c_out; ++co) {
        Eigen::Map<ArrayVec<T>> yr(y + ((n * g.c_out + co) * g.h_out + ho) * g.w_out, g.w_out);
        yr.setConstant(bias ? bias[co] : T(0));
        for (int64_t c = 0; c < g.c_in; ++c)
          for (int64_t kh = 0; kh < k; ++kh) {
            int64_t hi = ho * s + kh - g.pad;
            if (hi < 0 || hi >= g.h) continue;
            const T* xr = x + ((n * g.c_in + c) * g.h + hi) * g.w;
            const T* wr = w + ((co * g.c_in + c) * k + kh) * k;
            for (int64_t kw = 0; kw < k; ++kw) {
              ValidRange v = valid_range(kw - g.pad, s, g.w, g.w_out);
              int64_t len = v.end - v.begin;
              const T* src = xr + v.begin * s + kw - g.pad;
              if (len <= 0) continue;
              if (s == 1)  // contiguous: the vectorised form
                yr.segment(v.begin, len) += wr[kw] * Eigen::Map<const ArrayVec<T>>(src, len);
              else
                yr.segment(v.begin, len) += wr[kw] * strided(src, len, s);
            }
          }
      }
}

// dx = conv2d's data gradient (overwritten); parallel over input planes, which never overlap.
template <class T>
void conv2d_backward_data_direct(const T* gy, const T* w, T* dx, const ConvGeometry& g) {
  const int64_t k = g.k, s = g.stride;
#pragma omp parallel for collapse(2) schedule(static) num_threads(conv_threads_for(g))
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t c = 0; c < g.c_in; ++c) {
      T* plane = dx + (n * g.c_in + c) * g.in_plane();
      std::fill(plane, plane + g.in_plane(), T(0));
      for (int64_t co = 0; co < g.c_out; ++co)
        for (int64_t ho = 0; ho < g.h_out; ++ho) {
          const T* gr = gy + ((n * g.c_out + co) * g.h_out + ho) * g.w_out;
          for (int64_t kh = 0; kh < k; ++kh) {
            int64_t hi = ho * s + kh - g.pad;
            if (hi < 0 || hi >= g.h) continue;
            const T* wr = w + ((co * g.c_in + c) * k + kh) * k;
            for (int64_t kw = 0; kw < k; ++kw) {
              ValidRange v = valid_range(kw - g.pad, s, g.w, g.w_out);
              int64_t len = v.end - v.begin;
              if (len <= 0) continue;
              T* dst = plane + hi * g.w + v.begin * s + kw - g.pad;
              Eigen::Map<const ArrayVec<T>> src(gr + v.begin, len);
              if (s == 1)
                Eigen::Map<ArrayVec<T>>(dst, len) += wr[kw] * src;
              else
                Eigen::Map<ArrayVec<T>, 0, Eigen::InnerStride<>>(dst, len, Eigen::InnerStride<>(s)) +=
                    wr[kw] * src;
            }
          }
        }
    }
}

// dw = conv2d's weight gradient (overwritten); parallel over (c_out, c_in) pairs.
template <class T>
void conv2d_backward_weight_direct(const T* x, const T* gy, T* dw, const ConvGeometry& g) {
  const int64_t k = g.k, s = g.stride;
#pragma omp parallel for collapse(2) schedule(static) num_threads(conv_threads_for(g))
  for (int64_t co = 0; co < g.c_out; ++co)
    for (int64_t c = 0; c < g.c_in; ++c) {
      T* wr = dw + (co * g.c_in + c) * k * k;
      std::fill(wr, wr + k * k, T(0));
      for (int64_t n = 0; n < g.n; ++n)
        for (int64_t ho = 0; ho < g.h_out; ++ho) {
          Eigen::Map<const ArrayVec<T>> gr(gy + ((n * g.c_out + co) * g.h_out + ho) * g.w_out,
                                           g.w_out);
          for (int64_t kh = 0; kh < k; ++kh) {
            int64_t hi = ho * s + kh - g.pad;
            if (hi < 0 || hi >= g.h) continue;
            const T* xr = x + ((n * g.c_in + c) * g.h + hi) * g.w;
            for (int64_t kw = 0; kw < k; ++kw) {
              ValidRange v = valid_range(kw - g.pad, s, g.w, g.w_out);
              int64_t len = v.end - v.begin;
              const T* src = xr + v.begin * s + kw - g.pad;
              if (len <= 0) continue;
              if (s == 1)
                wr[kh * k + kw] +=
                    (gr.segment(v.begin, len) * Eigen::Map<const ArrayVec<T>>(src, len)).sum();
              else
                wr[kh * k + kw] += (gr.segment(v.begin, len) * strided(src, len, s)).sum();
            }
          }
        }
    }
}

}  // namespace gan::kernels::cpu
