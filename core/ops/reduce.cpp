// sum and mean of all elements. Forward and backward: kernels/cpu/reduce.h, kernels/cuda/reduce.h.
#include "core/ops.h"
#include "core/ops/dispatch.h"
#include "kernels/cpu/reduce.h"
#include "kernels/cuda/reduce.h"

namespace gan::ops {
namespace {

// sum(x) * scale, with gradient scale * gy broadcast to x's shape.
Tensor scaled_sum(const char* name, const Tensor& x, double scale) {
  if (!x.defined()) throw std::invalid_argument(std::string(name) + ": undefined tensor");
  Tensor y = Tensor::empty(Shape{}, x.dtype(), x.device());
  detail::run_kernels(
      name, x,
      [&](auto t) {
        using T = decltype(t);
        *y.data<T>() = static_cast<T>(kernels::cpu::sum_all<T>(x.data<T>(), x.numel()) * scale);
      },
      [&](auto) {
        kernels::cuda::sum_all(x.data<float>(), y.data<float>(), x.numel(),
                               static_cast<float>(scale));
      });
  Shape shape = x.shape();
  return record(y, name, {x}, [shape, scale](const Tensor& gy, const std::vector<bool>&) {
    // gy is one element; broadcasting it is an affine op on zeros of x's shape: 0 * 1 + gy * scale.
    Tensor g = Tensor::zeros(shape, gy.dtype(), gy.device());
    return std::vector<Tensor>{add(g, mul(gy, scale))};
  });
}

}  // namespace

Tensor sum(const Tensor& x) { return scaled_sum("sum", x, 1.0); }
Tensor mean(const Tensor& x) {
  if (!x.defined()) throw std::invalid_argument("mean: undefined tensor");
  if (x.numel() == 0) throw_shape_error("mean", "needs at least one element", x);
  return scaled_sum("mean", x, 1.0 / static_cast<double>(x.numel()));
}

}  // namespace gan::ops
