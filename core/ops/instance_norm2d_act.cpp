// instance_norm2d_act: act(instance_norm2d(x, weight, bias)) with act = ReLU or LeakyReLU, as one
// op. On the cpu one fused kernel (kernels/cpu/instance_norm2d_act.h) reads x once and writes y
// once, and the backward recomputes the normalised values from x and the saved statistics, so the
// pair keeps one buffer (x) for the backward instead of two (x and the normalised values). On cuda
// it composes the instance-norm and activation kernels (kernels/cuda/instance_norm2d.h,
// activation.h) and keeps the normalised values.
#include <stdexcept>
#include <string>

#include "core/ops.h"
#include "core/ops/dispatch.h"
#include "core/ops/instance_norm_checks.h"
#include "kernels/common/op_kinds.h"
#include "kernels/cpu/instance_norm2d_act.h"
#include "kernels/cuda/activation.h"
#include "kernels/cuda/instance_norm2d.h"

namespace gan::ops {

Tensor instance_norm2d_act(const Tensor& x, const Tensor& weight, const Tensor& bias,
                           double negative_slope, double eps) {
  const char* op = "instance_norm2d_act";
  const bool affine = detail::check_instance_norm_args(op, x, weight, bias, eps);
  if (!(negative_slope >= 0.0))
    throw std::invalid_argument("instance_norm2d_act: negative_slope must be >= 0");
  const int64_t N = x.size(0), C = x.size(1), HW = x.size(2) * x.size(3);
  // Without affine parameters the kernels get null weight and bias.
  const Tensor w_in = affine ? weight : Tensor(), b_in = affine ? bias : Tensor();
  // ReLU is LeakyReLU with slope 0: one activation kernel serves both.
  constexpr kernels::Activation kLeaky = kernels::Activation::leaky_relu;

  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  Tensor mean = Tensor::empty(Shape{N * C}, x.dtype(), x.device());
  Tensor inv_std = Tensor::empty(Shape{N * C}, x.dtype(), x.device());
  Tensor z;  // cuda only: the normalised values, input of the activation's backward
  const bool graph = needs_graph({x, weight, bias});
  detail::run_kernels(
      op, x,
      [&](auto t) {
        using T = decltype(t);
        kernels::cpu::instance_norm2d_act_forward<T>(
            x.data<T>(), detail::ptr<T>(w_in), detail::ptr<T>(b_in), y.data<T>(), mean.data<T>(),
            inv_std.data<T>(), N, C, HW, eps, T(negative_slope));
      },
      [&](auto) {
        z = Tensor::empty(x.shape(), x.dtype(), x.device());
        kernels::cuda::instance_norm2d_forward(
            x.data<float>(), detail::ptr<float>(w_in), detail::ptr<float>(b_in), z.data<float>(),
            mean.data<float>(), inv_std.data<float>(), N, C, HW, static_cast<float>(eps));
        kernels::cuda::activation_forward(kLeaky, z.data<float>(), y.data<float>(), x.numel(),
                                          static_cast<float>(negative_slope));
        if (!graph) z = Tensor();
      });
  if (!graph) return y;
  Tensor x_saved = x.detach();
  Tensor w_saved = affine ? weight.detach() : Tensor(), b_saved = affine ? bias.detach() : Tensor();
  return record(y, op, {x, weight, bias}, [=](const Tensor& gy, const std::vector<bool>& needs) {
    Tensor gx, gw, gb;
    detail::allocate_instance_norm_grads(x_saved.shape(), affine, needs, gy, gx, gw, gb);
    detail::run_kernels(
        op, gy,
        [&](auto t) {
          using T = decltype(t);
          using detail::ptr;
          kernels::cpu::instance_norm2d_act_backward<T>(
              x_saved.data<T>(), ptr<T>(w_saved), ptr<T>(b_saved), mean.data<T>(),
              inv_std.data<T>(), gy.data<T>(), ptr<T>(gx), ptr<T>(gw), ptr<T>(gb), N, C, HW,
              T(negative_slope));
        },
        [&](auto) {
          using detail::ptr;
          Tensor gz = Tensor::empty(gy.shape(), gy.dtype(), gy.device());
          kernels::cuda::activation_backward(kLeaky, z.data<float>(), nullptr, gy.data<float>(),
                                             gz.data<float>(), gy.numel(),
                                             static_cast<float>(negative_slope));
          kernels::cuda::instance_norm2d_backward(
              x_saved.data<float>(), ptr<float>(w_saved), mean.data<float>(),
              inv_std.data<float>(), gz.data<float>(), ptr<float>(gx), ptr<float>(gw),
              ptr<float>(gb), N, C, HW);
        });
    return std::vector<Tensor>{gx, gw, gb};
  });
}

}  // namespace gan::ops
