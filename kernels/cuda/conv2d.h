// Launchers for the convolution kernels (kernels/cuda/conv2d.cu, docs/kernels.md "Convolution"):
// conv2d forward, data gradient, weight gradient and bias gradient, as implicit GEMMs. The
// transposed convolution reuses them (kernels/cuda/conv_transpose2d.h).
//
// Device pointers, float32, NCHW; everything runs on the device's stream. Outputs are
// overwritten (never accumulated into). Every launcher takes a kernel variant:
//   0  reference: one thread per output element, direct loops (slow, obviously right)
//   1  tiled 64x64 block tile, 16-deep K slices in shared memory, 4x4 per thread
//   2  tiled 128x128 block tile, 8-deep K slices in shared memory, 8x8 per thread
//   3  TF32 tensor cores (wmma m16n16k8): 128x128 block tile, 16-deep K slices, 64x32 per warp;
//      inputs rounded to TF32 (10 mantissa bits), FP32 accumulation. Needs sm_80+.
// kConvVariantAuto picks with conv_variant_for(), which follows the process-wide conv math
// (set_conv_math: FP32 by default); tests check and benchmarks time every variant.
#pragma once
#include <cstdint>

#include "kernels/common/conv_geometry.h"

namespace gan::kernels::cuda {

constexpr int kConvVariants = 4;
constexpr int kConvVariantTf32 = 3;  // the one variant that rounds its inputs to TF32
constexpr int kConvVariantAuto = -1;

// The arithmetic the engine's convolutions use on the cuda device, for the whole process:
//   fp32  FP32 FMAs (variants 1 and 2): the default, results as the CPU's to ~1e-6
//   tf32  TF32 tensor cores (variant 3) where the GEMM has at least 64 rows: ~8x the FP32 peak
//         on an H100/H200, inputs rounded to 10 mantissa bits (relative error ~1e-3 per product)
// Set once at start-up (the tools' --conv-math), before any convolution runs.
enum class ConvMath { fp32, tf32 };
void set_conv_math(ConvMath m);
ConvMath conv_math();

// The variant the engine uses for a GEMM of m rows (channels) by `cols` columns (positions or
// weight entries). FP32: the 128x128 tile where it fills its blocks, else the 64x64 tile. TF32:
// the tensor-core variant when m >= 64, else the FP32 choice (a 1-channel layer would leave 127
// of the 128 rows of a tensor-core tile empty, and such layers are bound by memory anyway).
int conv_variant_for(int64_t m, int64_t cols);

// y = conv(x, w) + bias (bias may be null).
void conv2d_forward(const float* x, const float* w, const float* bias, float* y,
                    const ConvGeometry& s, int variant = kConvVariantAuto);

// dx = d conv(x, w) / dx given gy, plus bias[c] on input channel c when bias is not null (the
// forward of the transposed convolution needs that; a plain data gradient passes null).
void conv2d_backward_data(const float* gy, const float* w, const float* bias, float* dx,
                          const ConvGeometry& s, int variant = kConvVariantAuto);

// dw = d conv(x, w) / dw given gy. Reduces over n * h_out * w_out; split over several blocks
// with a second, in-order pass over the partial sums (deterministic: no float atomics).
void conv2d_backward_weight(const float* x, const float* gy, float* dw, const ConvGeometry& s,
                            int variant = kConvVariantAuto);

// out[c] = sum of t[i, c, :] over the batch and the plane of `plane` values (the bias
// gradient), summed in double in a fixed order.
void channel_sum(const float* t, float* out, int64_t n, int64_t channels, int64_t plane);

}  // namespace gan::kernels::cuda
