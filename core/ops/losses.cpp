// bce_with_logits, mse_loss, l1_loss: means over all elements, one-element results.
// Kernels: kernels/cpu/losses.h, kernels/cuda/losses.h. A double target is a constant: it gets
// no gradient.
#include <stdexcept>
#include <string>

#include "core/ops.h"
#include "core/ops/dispatch.h"
#include "kernels/cpu/losses.h"
#include "kernels/cuda/losses.h"

namespace gan::ops {
namespace {

using kernels::Loss;

// mean(loss(x, target)) where target is a tensor of x's shape or, when undefined, t_const.
Tensor mean_loss(Loss loss, const char* name, const Tensor& x, const Tensor& target,
                 double t_const) {
  if (!x.defined()) throw std::invalid_argument(std::string(name) + ": undefined tensor");
  if (target.defined()) check_same_shape(name, x, target);
  if (x.numel() == 0) throw_shape_error(name, "needs at least one element", x);
  const int64_t n = x.numel();
  Tensor y = Tensor::empty(Shape{}, x.dtype(), x.device());
  detail::run_kernels(
      name, x,
      [&](auto t) {
        using T = decltype(t);
        const double s = kernels::cpu::loss_sum<T>(loss, x.data<T>(), detail::ptr<T>(target),
                                                   static_cast<T>(t_const), n);
        *y.data<T>() = static_cast<T>(s / static_cast<double>(n));
      },
      [&](auto) {
        kernels::cuda::loss_sum(loss, x.data<float>(), detail::ptr<float>(target),
                                static_cast<float>(t_const), n,
                                static_cast<float>(1.0 / static_cast<double>(n)), y.data<float>());
      });
  if (!needs_graph({x, target})) return y;
  Tensor x_saved = x.detach();
  Tensor t_saved = target.defined() ? target.detach() : Tensor();
  return record(y, name, {x, target}, [=](const Tensor& gy, const std::vector<bool>& needs) {
    Tensor gx, gt;
    if (needs[0]) gx = Tensor::empty(x_saved.shape(), gy.dtype(), gy.device());
    if (t_saved.defined() && needs[1]) gt = Tensor::empty(t_saved.shape(), gy.dtype(), gy.device());
    detail::run_kernels(
        name, gy,
        [&](auto t) {
          using T = decltype(t);
          const T scale =
              static_cast<T>(static_cast<double>(*gy.data<T>()) / static_cast<double>(n));
          kernels::cpu::loss_backward<T>(loss, x_saved.data<T>(), detail::ptr<T>(t_saved),
                                         static_cast<T>(t_const), detail::ptr<T>(gx),
                                         detail::ptr<T>(gt), n, scale);
        },
        [&](auto) {
          // The upstream gradient stays on the device: the kernel reads gy[0] there.
          kernels::cuda::loss_backward(loss, x_saved.data<float>(), detail::ptr<float>(t_saved),
                                       static_cast<float>(t_const), gy.data<float>(),
                                       static_cast<float>(1.0 / static_cast<double>(n)),
                                       detail::ptr<float>(gx), detail::ptr<float>(gt), n);
        });
    return std::vector<Tensor>{gx, gt};
  });
}

}  // namespace

Tensor bce_with_logits(const Tensor& logits, const Tensor& target) {
  if (!target.defined()) throw std::invalid_argument("bce_with_logits: undefined target");
  return mean_loss(Loss::bce_with_logits, "bce_with_logits", logits, target, 0.0);
}
Tensor bce_with_logits(const Tensor& logits, double target) {
  return mean_loss(Loss::bce_with_logits, "bce_with_logits", logits, Tensor(), target);
}
Tensor mse_loss(const Tensor& pred, const Tensor& target) {
  if (!target.defined()) throw std::invalid_argument("mse_loss: undefined target");
  return mean_loss(Loss::mse, "mse_loss", pred, target, 0.0);
}
Tensor mse_loss(const Tensor& pred, double target) {
  return mean_loss(Loss::mse, "mse_loss", pred, Tensor(), target);
}
Tensor l1_loss(const Tensor& pred, const Tensor& target) {
  if (!target.defined()) throw std::invalid_argument("l1_loss: undefined target");
  return mean_loss(Loss::l1, "l1_loss", pred, target, 0.0);
}

}  // namespace gan::ops
