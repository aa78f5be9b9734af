// Helpers shared by the op implementations in core/ops/: calling a kernel templated on the scalar
// type with the tensor's dtype, and guarding the cuda branch.
#pragma once
#include <stdexcept>
#include <string>

#include "core/device.h"
#include "core/tensor.h"

namespace gan::ops::detail {

// Calls f(T{}) with T = float or double according to t.
template <class F>
decltype(auto) with_scalar_type(DType t, F&& f) {
  if (t == DType::f32) return f(float{});
  return f(double{});
}

template <class T> T* ptr(const Tensor& t) { return t.data<T>(); }

// The cuda branch of an op in a build without a cuda backend.
[[noreturn]] inline void no_cuda(const char* op) {
  device::require_cuda(op);
  throw std::logic_error(std::string(op) + ": no cuda kernel");
}

}  // namespace gan::ops::detail
