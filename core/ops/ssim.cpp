// ssim: mean structural similarity (Wang et al. 2004). A composition of existing ops (concat,
// conv2d with a fixed Gaussian window, mul, sub, affine, div, mean), so the cuda path and the
// backward come from theirs and need no kernel of their own.
#include <cmath>
#include <string>

#include "core/ops.h"
#include "core/ops/structure_common.h"

namespace gan::ops {
namespace {

constexpr double kSigma = 1.5;        // the paper's Gaussian
constexpr double kDataRange = 2.0;    // images live in [-1, 1]
constexpr double kC1 = (0.01 * kDataRange) * (0.01 * kDataRange);
constexpr double kC2 = (0.03 * kDataRange) * (0.03 * kDataRange);

// The normalised 2-D Gaussian window [1, 1, k, k]: the outer product of a 1-D one.
Tensor gaussian_window(int k, const Tensor& like) {
  std::vector<double> g(k);
  double total = 0;
  for (int i = 0; i < k; ++i) {
    const double d = i - (k - 1) / 2.0;
    total += g[i] = std::exp(-d * d / (2 * kSigma * kSigma));
  }
  std::vector<double> w(static_cast<size_t>(k) * k);
  for (int i = 0; i < k; ++i)
    for (int j = 0; j < k; ++j) w[i * k + j] = g[i] * g[j] / (total * total);
  return detail::constant_like(w, {1, 1, k, k}, like);
}

}  // namespace

Tensor ssim(const Tensor& x, const Tensor& y, int window) {
  detail::check_image_pair("ssim", x, y);
  if (window < 1 || window % 2 == 0 || window > x.size(2) || window > x.size(3))
    throw_shape_error("ssim", "window must be odd and at most H and W (window " +
                                  std::to_string(window) + ")", x, &y);
  // Every plane filtered alone: [N*C, 1, H, W]. The five local statistics come from one
  // convolution of the five stacked images.
  const int64_t planes = x.size(0) * x.size(1);
  const Shape plane_shape{planes, 1, x.size(2), x.size(3)};
  Tensor xp = x.reshape(plane_shape), yp = y.reshape(plane_shape);
  Tensor stats = conv2d(concat({xp, yp, mul(xp, xp), mul(yp, yp), mul(xp, yp)}, 0),
                        gaussian_window(window, x), Tensor(), 1, 0);
  Tensor mu_x = stats.slice_batch(0, planes), mu_y = stats.slice_batch(planes, planes);
  Tensor mu_xx = mul(mu_x, mu_x), mu_yy = mul(mu_y, mu_y), mu_xy = mul(mu_x, mu_y);
  Tensor var_x = sub(stats.slice_batch(2 * planes, planes), mu_xx);
  Tensor var_y = sub(stats.slice_batch(3 * planes, planes), mu_yy);
  Tensor cov_xy = sub(stats.slice_batch(4 * planes, planes), mu_xy);
  Tensor num = mul(affine(mu_xy, 2.0, kC1), affine(cov_xy, 2.0, kC2));
  Tensor den = mul(add(add(mu_xx, mu_yy), kC1), add(add(var_x, var_y), kC2));
  return mean(div(num, den));
}

}  // namespace gan::ops
