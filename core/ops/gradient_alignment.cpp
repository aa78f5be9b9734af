// gradient_alignment: the normalised gradient field similarity (NGF; Haber & Modersitzki 2006).
// A composition of existing ops: conv2d with the fixed difference filters gives the gradients
// (detail::forward_differences, shared with gradient_correlation), a 1x1 conv2d of ones sums the
// two directions of each product, then add, mul, div and mean. Both devices (the cuda path
// included) and the backward come from those ops; there is no kernel of its own.
#include <string>

#include "core/ops.h"
#include "core/ops/structure_common.h"

namespace gan::ops {

Tensor gradient_alignment(const Tensor& x, const Tensor& y, double eps) {
  detail::check_image_pair("gradient_alignment", x, y);
  if (!(eps > 0))
    throw std::invalid_argument("gradient_alignment: eps must be positive, got " +
                                std::to_string(eps));
  const int64_t planes = x.size(0) * x.size(1);
  Tensor grads = detail::forward_differences("gradient_alignment", x, y);
  Tensor gx = grads.slice_batch(0, planes), gy = grads.slice_batch(planes, planes);
  // g_x . g_y, |g_x|^2 and |g_y|^2 per pixel: the three products summed over both directions
  // by one convolution with a [1, 2, 1, 1] filter of ones.
  Tensor direction_sum = detail::constant_like({1, 1}, {1, 2, 1, 1}, x);
  Tensor sums = conv2d(concat({mul(gx, gy), mul(gx, gx), mul(gy, gy)}, 0), direction_sum,
                       Tensor(), 1, 0);
  Tensor dot = sums.slice_batch(0, planes);
  Tensor norm_x = add(sums.slice_batch(planes, planes), eps * eps);
  Tensor norm_y = add(sums.slice_batch(2 * planes, planes), eps * eps);
  return mean(div(mul(dot, dot), mul(norm_x, norm_y)));
}

}  // namespace gan::ops
