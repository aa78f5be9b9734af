// concat / slice copy: a strided row copy. Thread: one element per grid-stride step (a float4 when
// both sides are 16-byte aligned and the rows are multiples of 4); 256-thread blocks; no barriers.
#include "kernels/cuda/concat.h"
#include "kernels/cuda/launch.h"

namespace gan::kernels::cuda {
namespace {

constexpr int kThreads = 256;

template <class V>
__global__ void copy_rows_kernel(V* dst, int64_t dst_row, const V* src, int64_t src_row,
                                 int64_t outer, int64_t len) {
  const int64_t total = outer * len;
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += stride) {
    const int64_t o = i / len, j = i % len;
    dst[o * dst_row + j] = src[o * src_row + j];
  }
}

}  // namespace

void copy_rows(float* dst, int64_t dst_row, int64_t dst_col, const float* src, int64_t src_row,
               int64_t src_col, int64_t outer, int64_t len) {
  if (outer <= 0 || len <= 0) return;
  dst += dst_col;
  src += src_col;
  if (aligned16(dst, src) && dst_row % 4 == 0 && src_row % 4 == 0 && len % 4 == 0) {
    GAN_LAUNCH_NOSYNC(copy_rows_kernel<float4>, grid_for(outer * len / 4, kThreads), kThreads, 0,
                      stream())(reinterpret_cast<float4*>(dst), dst_row / 4,
                                reinterpret_cast<const float4*>(src), src_row / 4, outer, len / 4);
  } else {
    GAN_LAUNCH_NOSYNC(copy_rows_kernel<float>, grid_for(outer * len, kThreads), kThreads, 0,
                      stream())(dst, dst_row, src, src_row, outer, len);
  }
  GAN_CUDA_CHECK_LAUNCH();
}

}  // namespace gan::kernels::cuda
