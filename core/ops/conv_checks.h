// Argument checks shared by conv2d and conv_transpose2d (core/ops/conv2d.cpp,
// conv_transpose2d.cpp): dims, dtypes, devices, square kernels, bias shape, stride and padding.
#pragma once
#include <string>

#include "core/tensor.h"

namespace gan::ops::detail {

// Checks what both ops share; `weight_out_dim` is the weight dimension that holds the output
// channels (0 for conv2d [Cout, Cin, k, k], 1 for conv_transpose2d [Cin, Cout, k, k]).
// Returns the number of output channels.
inline int64_t check_conv_args(const char* op, const Tensor& x, const Tensor& w, const Tensor& bias,
                               int stride, int padding, int weight_out_dim) {
  check_ndim(op, x, 4);
  check_ndim(op, w, 4);
  check_same_dtype_device(op, x, w);
  if (w.size(2) != w.size(3) || w.size(2) < 1)
    throw_shape_error(op, "weight must have a square kernel [., ., k, k]", x, &w);
  const int64_t in_dim = 1 - weight_out_dim;
  if (w.size(in_dim) != x.size(1))
    throw_shape_error(op, "weight dim " + std::to_string(in_dim) + " must equal x's channels", x,
                      &w);
  if (stride < 1 || padding < 0)
    throw_shape_error(op, "stride must be >= 1 and padding >= 0 (stride " +
                              std::to_string(stride) + ", padding " + std::to_string(padding) + ")",
                      x, &w);
  const int64_t c_out = w.size(weight_out_dim);
  if (bias.defined()) {
    check_same_dtype_device(op, x, bias);
    if (bias.ndim() != 1 || bias.size(0) != c_out)
      throw_shape_error(op, "bias must be [" + std::to_string(c_out) + "]", w, &bias);
  }
  return c_out;
}

}  // namespace gan::ops::detail
