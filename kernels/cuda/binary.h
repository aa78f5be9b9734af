// Launchers for the elementwise binary ops (kernels/cuda/binary.cu). Layout as the CPU kernels
// (kernels/cpu/binary.h): a, y, gy are [outer, channels, inner]; b has `channels` values and b[c]
// applies to (o, c, :). Device pointers; everything runs on the device's stream.
#pragma once
#include <cstdint>

#include "kernels/common/op_kinds.h"

namespace gan::kernels::cuda {

void binary_forward(BinaryOp op, const float* a, const float* b, float* y, int64_t outer,
                    int64_t channels, int64_t inner);
// ga (shape of a) and gb (channels values) may each be null.
void binary_backward(BinaryOp op, const float* a, const float* b, const float* gy, float* ga,
                     float* gb, int64_t outer, int64_t channels, int64_t inner);
// y = a * scale + shift
void affine_forward(const float* a, float* y, int64_t n, float scale, float shift);

}  // namespace gan::kernels::cuda
