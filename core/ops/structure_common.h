// What the structure-similarity compositions (core/ops/ssim.cpp, gradient_correlation.cpp,
// gradient_alignment.cpp) share: the check of an image pair, their fixed filters as tensors, and
// the forward-difference gradients of x and y.
#pragma once
#include <vector>

#include "core/ops.h"
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

// The image gradients of x and y by forward differences, for every (n, c) plane alone, on the
// (H-1) x (W-1) grid where both differences exist: [2 N C, 2, H-1, W-1], the planes of x first,
// then those of y; channel 0 is x(i, j + 1) - x(i, j), channel 1 is x(i + 1, j) - x(i, j).
// One conv2d with a fixed [2, 1, 2, 2] filter, so both devices and the backward come from it.
inline Tensor forward_differences(const char* op, const Tensor& x, const Tensor& y) {
  if (x.size(2) < 2 || x.size(3) < 2)
    throw_shape_error(op, "planes must be at least 2 x 2", x, &y);
  const int64_t planes = x.size(0) * x.size(1);
  const Shape plane_shape{planes, 1, x.size(2), x.size(3)};
  Tensor differences = constant_like({-1, 1, 0, 0, -1, 0, 1, 0}, {2, 1, 2, 2}, x);
  return conv2d(concat({x.reshape(plane_shape), y.reshape(plane_shape)}, 0), differences,
                Tensor(), 1, 0);
}

}  // namespace gan::ops::detail
