// gradient_correlation: normalised gradient correlation (Penney et al. 1998). A composition of
// existing ops: conv2d with fixed difference filters gives the gradients, instance_norm2d centres
// and scales each (plane, direction) by sqrt(var + eps), and the mean of the products is the
// mean correlation. Both devices and the backward come from those ops.
#include <string>

#include "core/ops.h"
#include "core/ops/structure_common.h"

namespace gan::ops {

Tensor gradient_correlation(const Tensor& x, const Tensor& y, double eps) {
  detail::check_image_pair("gradient_correlation", x, y);
  if (!(eps > 0))
    throw std::invalid_argument("gradient_correlation: eps must be positive, got " +
                                std::to_string(eps));
  const int64_t planes = x.size(0) * x.size(1);
  Tensor grads = detail::forward_differences("gradient_correlation", x, y);
  // (g - mean) / sqrt(var + eps) per (plane, direction): the mean over a plane of the product
  // of two such maps is their correlation, and every plane has the same number of positions.
  Tensor normalised = instance_norm2d(grads, Tensor(), Tensor(), eps);
  return mean(mul(normalised.slice_batch(0, planes), normalised.slice_batch(planes, planes)));
}

}  // namespace gan::ops
