#include "train/dist/gpu_select.h"

#include <stdexcept>
#include <string>

#if GAN_HAS_CUDA && !GAN_CUDA_EMULATED
#include <cuda_runtime.h>
#endif

namespace gan::train::dist {

int select_local_gpu(int local_rank) {
#if GAN_HAS_CUDA && !GAN_CUDA_EMULATED
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count < 1)
    throw std::runtime_error("local rank " + std::to_string(local_rank) + ": no CUDA GPU visible");
  const int gpu = local_rank % count;
  if (cudaSetDevice(gpu) != cudaSuccess)
    throw std::runtime_error("cudaSetDevice(" + std::to_string(gpu) + ") failed");
  return gpu;
#else
  (void)local_rank;
  return -1;
#endif
}

}  // namespace gan::train::dist
