// What every kernels/cuda/*.cu file includes: the CUDA runtime under nvcc, the emulator
// (kernels/cuda/emu/cuda_emu.h) under a plain C++ compiler, and the few macros that differ
// between the two. Kernel bodies are real CUDA either way; only these macros are ours:
//   GAN_LAUNCH(kernel, grid, block, shared_bytes, stream)(args...)
//       kernel<<<grid, block, shared_bytes, stream>>>(args...)
//   GAN_LAUNCH_NOSYNC(...)        the same, for kernels that use no __syncthreads, __syncwarp or
//                                 shuffle: the emulator then runs a block's threads in a plain loop
//   GAN_SHARED(type, name, dims)  __shared__ type name dims;   e.g. GAN_SHARED(float, tile, [32][33]);
//   GAN_SHARED_ALIGNED(type, name, dims, bytes)  the same, aligned to `bytes` (> 16: wmma needs 32)
//   GAN_DYNAMIC_SHARED(type, name) extern __shared__ memory as a type* (16-byte aligned)
// After a launch, GAN_CUDA_CHECK_LAUNCH() turns a launch error into an exception.
#pragma once
#include <cstdint>

#if defined(__CUDACC__)
#include <cuda_runtime.h>
#define GAN_LAUNCH(kernel, grid, block, smem, stream) kernel<<<(grid), (block), (smem), (stream)>>>
#define GAN_LAUNCH_NOSYNC(kernel, grid, block, smem, stream) GAN_LAUNCH(kernel, grid, block, smem, stream)
// 16-byte aligned, so float4 loads from shared tiles are always legal.
#define GAN_SHARED(type, name, dims) __shared__ __align__(16) type name dims
// __align__ on the variable sets its alignment outright (a type's own alignas does not raise it).
#define GAN_SHARED_ALIGNED(type, name, dims, bytes) __shared__ __align__(bytes) type name dims
#define GAN_DYNAMIC_SHARED(type, name)                                  \
  extern __shared__ __align__(16) unsigned char gan_dynamic_shared_[]; \
  type* name = reinterpret_cast<type*>(gan_dynamic_shared_)
#else
#include "kernels/cuda/emu/cuda_emu.h"
#endif

#include "kernels/cuda/check.h"
#include "kernels/cuda/runtime.h"

namespace gan::kernels::cuda {

// The one stream of the device: every launch and copy of the engine is ordered on it.
cudaStream_t stream();

// Blocks for a grid-stride loop over n items: enough to fill the device, capped because each
// thread loops over the rest.
inline unsigned grid_for(int64_t n, int threads_per_block, unsigned max_blocks = 4096) {
  int64_t b = (n + threads_per_block - 1) / threads_per_block;
  if (b < 1) b = 1;
  return b > max_blocks ? max_blocks : static_cast<unsigned>(b);
}

// 16-byte alignment of every pointer: float4 loads and stores are allowed.
template <class... P>
inline bool aligned16(const P*... p) {
  return ((reinterpret_cast<uintptr_t>(p) % 16 == 0) && ...);
}

}  // namespace gan::kernels::cuda
