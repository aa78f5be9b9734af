// What the structure-similarity compositions (core/ops/ssim.cpp, gradient_correlation.cpp)
// share: the check of an image pair and their fixed filters as tensors.
#pragma once
#include <vector>

#include "core/tensor.h"

namespace gan::ops::detail {

// x and y: [N, C, H, W] of the same shape, dtype and device.
inline void check_image_pair(const char* op, const Tensor& x, const Tensor& y) {
  check_same_shape(op, x, y);
  check_ndim(op, x, 4);
}

// A constant tensor (no gradient) of the given values, in like's dtype and on its device.
inline Tensor constant_like(const std::vector<double>& values, const Shape& shape,
                            const Tensor& like) {
  Tensor t = Tensor::from_vector(values, shape);
  if (like.dtype() != t.dtype()) t = t.to(like.dtype());
  return t.to(like.device());
}

}  // namespace gan::ops::detail
