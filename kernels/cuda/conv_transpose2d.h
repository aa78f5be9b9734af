// Launchers for the transposed convolution: conv2d's kernels read the other way round
// (kernels/cuda/conv_transpose2d.cu). As kernels/cpu/conv_transpose2d.h, `s` is the geometry of
// the convolution whose data gradient the transposed convolution is: x [n, c_out, h_out, w_out]
// is that convolution's output side, y [n, c_in, h, w] its input side, and the weight
// [c_out, c_in, k, k] is read as is. Device pointers, float32; variants as kernels/cuda/conv2d.h.
#pragma once
#include "kernels/cuda/conv2d.h"

namespace gan::cuda {

// y = conv_transpose(x, w) + bias[c] (bias may be null): conv2d's data gradient.
void conv_transpose2d_forward(const float* x, const float* w, const float* bias, float* y,
                              const ConvShape& s, int variant = kConvVariantAuto);
// dx: conv2d's forward of gy.
void conv_transpose2d_backward_data(const float* gy, const float* w, float* dx, const ConvShape& s,
                                    int variant = kConvVariantAuto);
// dw: conv2d's weight gradient with x and gy exchanged.
void conv_transpose2d_backward_weight(const float* x, const float* gy, float* dw,
                                      const ConvShape& s, int variant = kConvVariantAuto);

}  // namespace gan::cuda
