// CPU kernels of conv_transpose2d, as conv2d's kernels with x and y exchanged.
//
// A transposed convolution t: x [n, c_in, h, w] -> y [n, c_out, h_out, w_out] with weight
// [c_in, c_out, k, k] is the data gradient of the convolution g = inverse_convolution(t): y -> x,
// with the same weight read as [c_out', c_in', k, k] = [c_in, c_out, k, k]. So:
//   forward:        y  = conv2d_backward_data(gy = x)              (GEMM + col2im)
//   data gradient:  dx = conv2d_forward(x = gy)                    (im2col + GEMM)
//   weight grad.:   dw = conv2d_backward_weight(x = gy, gy = x)    (im2col + GEMM)
#pragma once
#include "kernels/cpu/conv2d.h"

namespace gan::kernels::cpu {

template <class T>
void conv_transpose2d_forward(const T* x, const T* w, const T* bias, T* y, const ConvGeometry& t) {
  const ConvGeometry g = inverse_convolution(t);
  conv2d_backward_data(x, w, y, g);
  if (bias) add_channel_bias(y, bias, g.n, g.c_in, g.in_plane());
}

template <class T>
void conv_transpose2d_backward_data(const T* gy, const T* w, T* dx, const ConvGeometry& t) {
  conv2d_forward(gy, w, static_cast<const T*>(nullptr), dx, inverse_convolution(t));
}

template <class T>
void conv_transpose2d_backward_weight(const T* x, const T* gy, T* dw, const ConvGeometry& t) {
  conv2d_backward_weight(gy, x, dw, inverse_convolution(t));
}

}  // namespace gan::kernels::cpu
