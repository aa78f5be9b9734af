// Launchers for the transposed convolution: conv2d's kernels read the other way round
// (kernels/cuda/conv_transpose2d.cu). `t` is the op's geometry: x [n, c_in, h, w] ->
// y [n, c_out, h_out, w_out], weight [c_in, c_out, k, k]; as in kernels/cpu/conv_transpose2d.h the
// passes run on the convolution inverse_convolution(t). Device pointers, float32; variants as
// kernels/cuda/conv2d.h.
#pragma once
#include "kernels/cuda/conv2d.h"

namespace gan::kernels::cuda {

// y = conv_transpose(x, w) + bias[c] (bias may be null): conv2d's data gradient.
void conv_transpose2d_forward(const float* x, const float* w, const float* bias, float* y,
                              const ConvGeometry& t, int variant = kConvVariantAuto);
// dx: conv2d's forward of gy.
void conv_transpose2d_backward_data(const float* gy, const float* w, float* dx,
                                    const ConvGeometry& t, int variant = kConvVariantAuto);
// dw: conv2d's weight gradient with x and gy exchanged.
void conv_transpose2d_backward_weight(const float* x, const float* gy, float* dw,
                                      const ConvGeometry& t, int variant = kConvVariantAuto);

}  // namespace gan::kernels::cuda
