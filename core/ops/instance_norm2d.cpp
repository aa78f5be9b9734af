// instance_norm2d (PyTorch's InstanceNorm2d, training-mode statistics, optional affine).
// Kernels: kernels/cpu/instance_norm2d.h, kernels/cuda/instance_norm2d.h. The forward's per-plane
// mean and 1/std are kept for the backward, so it never recomputes the statistics.
#include <stdexcept>
#include <string>

#include "core/ops.h"
#include "core/ops/dispatch.h"
#include "core/ops/instance_norm_checks.h"
#include "kernels/cpu/instance_norm2d.h"
#include "kernels/cuda/instance_norm2d.h"

namespace gan::ops {

Tensor instance_norm2d(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps) {
  const char* op = "instance_norm2d";
  const bool affine = detail::check_instance_norm_args(op, x, weight, bias, eps);
  const int64_t N = x.size(0), C = x.size(1), HW = x.size(2) * x.size(3);
  // Without affine parameters the kernels get null weight and bias.
  const Tensor w_in = affine ? weight : Tensor(), b_in = affine ? bias : Tensor();

  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  Tensor mean = Tensor::empty(Shape{N * C}, x.dtype(), x.device());
  Tensor inv_std = Tensor::empty(Shape{N * C}, x.dtype(), x.device());
  detail::run_kernels(
      op, x,
      [&](auto t) {
        using T = decltype(t);
        kernels::cpu::instance_norm2d_forward<T>(x.data<T>(), detail::ptr<T>(w_in),
                                                 detail::ptr<T>(b_in), y.data<T>(), mean.data<T>(),
                                                 inv_std.data<T>(), N, C, HW, eps);
      },
      [&](auto) {
        kernels::cuda::instance_norm2d_forward(
            x.data<float>(), detail::ptr<float>(w_in), detail::ptr<float>(b_in), y.data<float>(),
            mean.data<float>(), inv_std.data<float>(), N, C, HW, static_cast<float>(eps));
      });
  if (!needs_graph({x, weight, bias})) return y;
  Tensor x_saved = x.detach();
  Tensor w_saved = affine ? weight.detach() : Tensor();
  return record(y, op, {x, weight, bias}, [=](const Tensor& gy, const std::vector<bool>& needs) {
    Tensor gx, gw, gb;
    detail::allocate_instance_norm_grads(x_saved.shape(), affine, needs, gy, gx, gw, gb);
    detail::run_kernels(
        op, gy,
        [&](auto t) {
          using T = decltype(t);
          using detail::ptr;
          kernels::cpu::instance_norm2d_backward<T>(x_saved.data<T>(), ptr<T>(w_saved),
                                                    mean.data<T>(), inv_std.data<T>(),
                                                    gy.data<T>(), ptr<T>(gx), ptr<T>(gw),
                                                    ptr<T>(gb), N, C, HW);
        },
        [&](auto) {
          using detail::ptr;
          kernels::cuda::instance_norm2d_backward(x_saved.data<float>(), ptr<float>(w_saved),
                                                  mean.data<float>(), inv_std.data<float>(),
                                                  gy.data<float>(), ptr<float>(gx),
                                                  ptr<float>(gw), ptr<float>(gb), N, C, HW);
        });
    return std::vector<Tensor>{gx, gw, gb};
  });
}

}  // namespace gan::ops
