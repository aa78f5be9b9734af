// Argument checks shared by instance_norm2d and instance_norm2d_act (core/ops/instance_norm2d.cpp,
// instance_norm2d_act.cpp).
#pragma once
#include <stdexcept>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace gan::ops::detail {

// x is [N, C, H, W] with H*W > 0, eps > 0, and weight/bias both undefined or both [C] of x's
// dtype and device. Returns whether the norm is affine. Errors name `op`.
inline bool check_instance_norm_args(const char* op, const Tensor& x, const Tensor& weight,
                                     const Tensor& bias, double eps) {
  check_ndim(op, x, 4);
  const int64_t C = x.size(1);
  if (x.size(2) * x.size(3) == 0) throw_shape_error(op, "needs at least one value per plane", x);
  if (!(eps > 0.0)) throw std::invalid_argument(std::string(op) + ": eps must be > 0");
  if (weight.defined() != bias.defined())
    throw std::invalid_argument(std::string(op) +
                                ": weight and bias must both be defined or both not");
  if (!weight.defined()) return false;
  for (const Tensor* p : {&weight, &bias}) {
    check_same_dtype_device(op, x, *p);
    if (p->ndim() != 1 || p->size(0) != C)
      throw_shape_error(op, "weight and bias must have shape [C]", x, p);
  }
  return true;
}

// The gradient buffers of an instance norm's backward: gx like x where needs[0], gw and gb [C]
// where the norm is affine and needs[1] / needs[2]; the others stay undefined.
inline void allocate_instance_norm_grads(const Shape& x_shape, bool affine,
                                         const std::vector<bool>& needs, const Tensor& gy,
                                         Tensor& gx, Tensor& gw, Tensor& gb) {
  const Shape c{x_shape[1]};
  if (needs[0]) gx = Tensor::empty(x_shape, gy.dtype(), gy.device());
  if (affine && needs[1]) gw = Tensor::empty(c, gy.dtype(), gy.device());
  if (affine && needs[2]) gb = Tensor::empty(c, gy.dtype(), gy.device());
}

}  // namespace gan::ops::detail
