// The geometry of a 2-d convolution or transposed convolution, one definition for the CPU kernels
// (kernels/cpu/conv*.h), the CUDA launchers (kernels/cuda/conv*.h) and core/ops.
#pragma once
#include <cstdint>

#include "kernels/common/hd.h"

namespace gan::kernels {

// An op x [n, c_in, h, w] -> y [n, c_out, h_out, w_out] with a k x k kernel, `stride`, and `pad`
// zeros (conv2d) or cropped values (conv_transpose2d) on every side; with `reflect` (conv2d on the
// CPU only) the padding mirrors x about its edges instead of zeros, as reflection_pad2d does. The
// fields name the op's own input and output in both cases. Index is int64_t on the host; the CUDA
// kernels index with an int copy (ConvDims, kernels/cuda/conv_problems.cuh).
template <class Index>
struct BasicConvGeometry {
  Index n, c_in, h, w, c_out, k, stride, pad, h_out, w_out;
  bool reflect = false;

  GAN_HD Index out_plane() const { return h_out * w_out; }
  GAN_HD Index in_plane() const { return h * w; }
  GAN_HD Index columns() const { return n * out_plane(); }  // a convolution GEMM's long side
  GAN_HD Index patch() const { return c_in * k * k; }       // a convolution GEMM's inner dimension
  GAN_HD bool is_pointwise() const { return k == 1 && stride == 1 && pad == 0; }
};
using ConvGeometry = BasicConvGeometry<int64_t>;

// conv2d: weight [c_out, c_in, k, k].
inline ConvGeometry make_conv_geometry(int64_t n, int64_t c_in, int64_t h, int64_t w,
                                       int64_t c_out, int64_t k, int64_t stride, int64_t pad) {
  return {n, c_in, h, w, c_out, k, stride, pad, (h + 2 * pad - k) / stride + 1,
          (w + 2 * pad - k) / stride + 1};
}

// conv_transpose2d: weight [c_in, c_out, k, k]; output_padding only makes h_out and w_out larger.
inline ConvGeometry make_conv_transpose_geometry(int64_t n, int64_t c_in, int64_t h, int64_t w,
                                                 int64_t c_out, int64_t k, int64_t stride,
                                                 int64_t pad, int64_t output_padding) {
  return {n, c_in, h, w, c_out, k, stride, pad, (h - 1) * stride - 2 * pad + k + output_padding,
          (w - 1) * stride - 2 * pad + k + output_padding};
}

// The convolution whose data gradient is the transposed convolution t (the kernels compute t
// that way): t's output is its input and t's input its output, and t's weight [t.c_in, t.c_out,
// k, k] is its weight [c_out, c_in, k, k] as is.
inline ConvGeometry inverse_convolution(const ConvGeometry& t) {
  return {t.n, t.c_out, t.h_out, t.w_out, t.c_in, t.k, t.stride, t.pad, t.h, t.w};
}

}  // namespace gan::kernels
