// How an op in core/ops/ reaches its kernels: run_kernels picks the device and the scalar type,
// so an op file holds only its checks, the kernel calls and the backward closure.
#pragma once
#include <stdexcept>
#include <string>

#include "core/device.h"
#include "core/tensor.h"

namespace gan::ops::detail {

// The cuda branch of an op in a build without a cuda backend.
[[noreturn]] inline void no_cuda(const char* op) {
  device::require_cuda(op);
  throw std::logic_error(std::string(op) + ": no cuda kernel");
}

// Runs op's kernels for the device and dtype of `like` (the tensor whose dtype and device the
// op's outputs take). Both kernel arguments are generic lambdas taking the scalar type as a
// value, `[&](auto t) { using T = decltype(t); ... }`:
//   on the cpu:  cpu_kernels(T{}) with T = float or double;
//   on cuda:     cuda_kernels(float{}), the cuda kernels being float32 only.
// In a build without a cuda backend cuda_kernels is never instantiated (so it may call the
// launchers of kernels/cuda/*.h, which are then declared but not defined), and a cuda tensor
// gets the one error of no_cuda.
template <class CpuKernels, class CudaKernels>
void run_kernels(const char* op, const Tensor& like, CpuKernels&& cpu_kernels,
                 CudaKernels&& cuda_kernels) {
  if (like.is_cuda()) {
#if GAN_HAS_CUDA
    cuda_kernels(float{});
    return;
#else
    (void)cuda_kernels;
    no_cuda(op);
#endif
  }
  if (like.dtype() == DType::f32) cpu_kernels(float{});
  else cpu_kernels(double{});
}

// A tensor's data, or null for an undefined (optional) tensor.
template <class T> T* ptr(const Tensor& t) { return t.defined() ? t.data<T>() : nullptr; }

}  // namespace gan::ops::detail
