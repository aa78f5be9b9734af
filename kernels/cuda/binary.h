// Launchers for the elementwise binary ops (kernels/cuda/binary.cu). Layout as the CPU kernels
// (kernels/cpu/binary.h): a, y, gy are [outer, channels, inner]; b has `channels` values and b[c]
// applies to (o, c, :). op is the value of kernels::cpu::BinaryOp: 0 add, 1 sub, 2 mul, 3 div.
// Device pointers; everything runs on the device's stream.
#pragma once
#include <cstdint>

namespace gan::cuda {

void binary_forward(int op, const float* a, const float* b, float* y, int64_t outer,
                    int64_t channels, int64_t inner);
// ga (shape of a) and gb (channels values) may each be null.
void binary_backward(int op, const float* a, const float* b, const float* gy, float* ga, float* gb,
                     int64_t outer, int64_t channels, int64_t inner);
// y = a * scale + shift
void affine_forward(const float* a, float* y, int64_t n, float scale, float shift);

}  // namespace gan::cuda
