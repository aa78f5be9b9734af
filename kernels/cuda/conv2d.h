// Launchers for the convolution kernels (kernels/cuda/conv2d.cu, docs/kernels.md "Convolution"):
// conv2d forward, data gradient, weight gradient and bias gradient, as implicit GEMMs. The
// transposed convolution reuses them (kernels/cuda/conv_transpose2d.h).
//
// Device pointers, float32, NCHW; everything runs on the device's stream. Outputs are
// overwritten (never accumulated into). Every launcher takes a kernel variant:
//   0  reference: one thread per output element, direct loops (slow, obviously right)
//   1  tiled 64x64 block tile, 16-deep K slices in shared memory, 4x4 per thread
//   2  tiled 128x128 block tile, 8-deep K slices in shared memory, 8x8 per thread
// kConvVariantAuto picks with conv_variant_for(); tests check and benchmarks time every variant.
#pragma once
#include <cstdint>

namespace gan::cuda {

// x [n, c_in, h, w] * weight [c_out, c_in, k, k] -> y [n, c_out, h_out, w_out], zero padding
// `pad` on every side (the same fields, in the same order, as kernels::cpu::ConvGeometry).
struct ConvShape {
  int64_t n, c_in, h, w, c_out, k, stride, pad, h_out, w_out;
};

constexpr int kConvVariants = 3;
constexpr int kConvVariantAuto = -1;

// The variant the engine uses for a GEMM of m rows (channels) by `cols` columns (positions or
// weight entries): the 128x128 tile where it fills its blocks, else the 64x64 tile.
int conv_variant_for(int64_t m, int64_t cols);

// y = conv(x, w) + bias (bias may be null).
void conv2d_forward(const float* x, const float* w, const float* bias, float* y,
                    const ConvShape& s, int variant = kConvVariantAuto);

// dx = d conv(x, w) / dx given gy, plus bias[c] on input channel c when bias is not null (the
// forward of the transposed convolution needs that; a plain data gradient passes null).
void conv2d_backward_data(const float* gy, const float* w, const float* bias, float* dx,
                          const ConvShape& s, int variant = kConvVariantAuto);

// dw = d conv(x, w) / dw given gy. Reduces over n * h_out * w_out; split over several blocks
// with a second, in-order pass over the partial sums (deterministic: no float atomics).
void conv2d_backward_weight(const float* x, const float* gy, float* dw, const ConvShape& s,
                            int variant = kConvVariantAuto);

// out[c] = sum of t[i, c, :] over the batch and the plane of `plane` values (the bias
// gradient), summed in double in a fixed order.
void channel_sum(const float* t, float* out, int64_t n, int64_t channels, int64_t plane);

}  // namespace gan::cuda
