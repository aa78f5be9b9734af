// Deterministic sums across a warp and across a block (device code, included by .cu files).
// The shuffle tree and the order of the warp partials are fixed, so the same inputs give the same
// bits on every run: no float atomics anywhere in a result.
#pragma once
#include "kernels/cuda/launch.h"

namespace gan::kernels::cuda {

constexpr unsigned kFullMask = 0xffffffffu;

// Lane 0 gets the sum of v over the 32 lanes of its warp.
template <class T>
__device__ __forceinline__ T warp_sum(T v) {
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_down_sync(kFullMask, v, offset);
  return v;
}

// Every thread of the block gets the sum of v over the block. blockDim.x must be a multiple of 32
// (<= 1024), every thread must call it, and `scratch` is 32 floats of shared memory that the call
// may overwrite (it may be reused by the next call). T: float, or double where the sum must keep
// more precision than its terms (instance norm statistics).
template <class T>
__device__ __forceinline__ T block_sum(T v, T* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int warps = blockDim.x >> 5;
  v = warp_sum(v);
  __syncthreads();  // a previous call's readers are done with scratch
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  if (warp == 0) {
    T w = lane < warps ? scratch[lane] : T(0);
    w = warp_sum(w);
    if (lane == 0) scratch[32 - 1] = w;  // a slot no warp partial is still read from
  }
  __syncthreads();
  return scratch[32 - 1];
}

}  // namespace gan::kernels::cuda
