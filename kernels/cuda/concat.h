// Launcher for concat and its backward (kernels/cuda/concat.cu). Seen from the concatenated dim
// every tensor is [outer, row]: concat copies each input's rows into a column range of the output
// rows; the backward copies the column ranges back out. Device pointers; the device's stream.
#pragma once
#include <cstdint>

namespace gan::kernels::cuda {

// dst[o * dst_row + dst_col + j] = src[o * src_row + src_col + j] for o < outer, j < len.
void copy_rows(float* dst, int64_t dst_row, int64_t dst_col, const float* src, int64_t src_row,
               int64_t src_col, int64_t outer, int64_t len);

}  // namespace gan::kernels::cuda
