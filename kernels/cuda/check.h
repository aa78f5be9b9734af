// Error checking for the CUDA runtime: every runtime call goes through GAN_CUDA_CHECK and every
// launch is followed by GAN_CUDA_CHECK_LAUNCH(). A failure throws std::runtime_error whose message
// names the source file and line, the failed call and the CUDA error string, e.g.
//   "CUDA error at kernels/cuda/runtime.cu:41: out of memory (cudaMalloc(&p, bytes))".
#pragma once
#include <stdexcept>
#include <string>

#if defined(__CUDACC__)
#include <cuda_runtime.h>
#else
#include "kernels/cuda/emu/cuda_emu.h"
#endif

namespace gan::kernels::cuda {

inline void check_status(cudaError_t e, const char* what, const char* file, int line) {
  if (e == cudaSuccess) return;
  // The runtime also records a failed call as the "last error"; consume it so the next launch
  // check does not report this one again.
  (void)cudaGetLastError();
  throw std::runtime_error(std::string("CUDA error at ") + file + ":" + std::to_string(line) +
                           ": " + cudaGetErrorString(e) + " (" + what + ")");
}

}  // namespace gan::kernels::cuda

#define GAN_CUDA_CHECK(expr) ::gan::kernels::cuda::check_status((expr), #expr, __FILE__, __LINE__)
#define GAN_CUDA_CHECK_LAUNCH() \
  ::gan::kernels::cuda::check_status(cudaGetLastError(), "kernel launch", __FILE__, __LINE__)
