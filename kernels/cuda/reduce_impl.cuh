// Two-pass deterministic reduction of f(i) over i < n, shared by sum_all and the losses:
//   pass 1: a fixed grid of blocks; each thread sums a grid-stride slice of i in order, the block
//           sums its threads (block_sum) and writes one partial;
//   pass 2: one block sums the partials in a fixed order and writes scale * total.
// The grid depends only on n, so the result is the same bits on every run.
#pragma once
#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/launch.h"

namespace gan::kernels::cuda {

constexpr int kReduceThreads = 256;
constexpr int kReduceMaxBlocks = 1024;

// Kernels of a header: internal to each .cu that includes it (no duplicate symbols).
namespace {

template <class F>
__global__ void reduce_partials_kernel(F f, int64_t n, float* partials) {
  GAN_SHARED(float, warp_sums, [32]);
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  float s = 0.0f;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) s += f(i);
  s = block_sum(s, warp_sums);
  if (threadIdx.x == 0) partials[blockIdx.x] = s;
}

// y[0] = scale * sum(partials[0..count)).
__global__ void reduce_final_kernel(const float* partials, int count, float scale, float* y) {
  GAN_SHARED(float, warp_sums, [32]);
  float s = 0.0f;
  for (int i = threadIdx.x; i < count; i += blockDim.x) s += partials[i];
  s = block_sum(s, warp_sums);
  if (threadIdx.x == 0) y[0] = s * scale;
}

}  // namespace

template <class F>
inline void reduce_sum(F f, int64_t n, float scale, float* y) {
  const unsigned blocks = grid_for(n, kReduceThreads * 4, kReduceMaxBlocks);
  float* partials = static_cast<float*>(scratch(blocks * sizeof(float)));
  GAN_LAUNCH(reduce_partials_kernel<F>, blocks, kReduceThreads, 0, stream())(f, n, partials);
  GAN_CUDA_CHECK_LAUNCH();
  GAN_LAUNCH(reduce_final_kernel, 1, kReduceThreads, 0, stream())(partials, int(blocks), scale, y);
  GAN_CUDA_CHECK_LAUNCH();
}

}  // namespace gan::kernels::cuda
