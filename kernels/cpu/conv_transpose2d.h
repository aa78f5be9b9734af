// CPU kernels of conv_transpose2d, as conv2d's kernels with x and y exchanged.
//
// A transposed convolution x [n, c_in, h, w] -> y [n, c_out, H, W] with weight [c_in, c_out, k, k]
// is the data gradient of the convolution y -> x with the same weight read as [c_out', c_in', k, k]
// = [c_in, c_out, k, k]. So with g = the geometry of that convolution (input H x W with c_out
// channels, output h x w with c_in channels; output_padding only makes H, W larger):
//   forward:        y  = conv2d_backward_data(gy = x)              (GEMM + col2im)
//   data gradient:  dx = conv2d_forward(x = gy)                    (im2col + GEMM)
//   weight grad.:   dw = conv2d_backward_weight(x = gy, gy = x)    (im2col + GEMM)
#pragma once
#include "kernels/cpu/conv2d.h"

namespace gan::kernels::cpu {

// The convolution whose data gradient is the transposed convolution described above.
inline ConvGeometry transposed_conv_geometry(int64_t n, int64_t c_in, int64_t h, int64_t w,
                                             int64_t c_out, int64_t k, int64_t stride,
                                             int64_t pad, int64_t output_padding) {
  const int64_t ho = (h - 1) * stride - 2 * pad + k + output_padding;
  const int64_t wo = (w - 1) * stride - 2 * pad + k + output_padding;
  return {n, c_out, ho, wo, c_in, k, stride, pad, h, w};
}

template <class T>
void conv_transpose2d_forward(const T* x, const T* w, const T* bias, T* y, const ConvGeometry& g) {
  conv2d_backward_data(x, w, y, g);
  if (bias) add_channel_bias(y, bias, g.n, g.c_in, g.in_plane());
}

template <class T>
void conv_transpose2d_backward_data(const T* gy, const T* w, T* dx, const ConvGeometry& g) {
  conv2d_forward(gy, w, static_cast<const T*>(nullptr), dx, g);
}

template <class T>
void conv_transpose2d_backward_weight(const T* x, const T* gy, T* dw, const ConvGeometry& g) {
  conv2d_backward_weight(gy, x, dw, g);
}

}  // namespace gan::kernels::cpu
