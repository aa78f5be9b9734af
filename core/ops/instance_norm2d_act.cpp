// instance_norm2d_act: act(instance_norm2d(x, weight, bias)) with act = ReLU or LeakyReLU, as one
// op. On the cpu one fused kernel (kernels/cpu/instance_norm2d_act.h) reads x once and writes y
// once, and the backward recomputes the normalised values from x and the saved statistics, so the
// pair keeps one buffer (x) for the backward instead of two (x and the normalised values). On cuda
// it composes the instance-norm and activation kernels and keeps the normalised values.
#include <stdexcept>
#include <string>

#include "core/ops.h"
#include "core/ops/dispatch.h"
#include "core/ops/instance_norm_checks.h"
#include "kernels/cpu/instance_norm2d_act.h"
#if GAN_HAS_CUDA
#include "kernels/cpu/activation.h"
#include "kernels/cuda/activation.h"
#include "kernels/cuda/instance_norm2d.h"
#endif

namespace gan::ops {

Tensor instance_norm2d_act(const Tensor& x, const Tensor& weight, const Tensor& bias,
                           double negative_slope, double eps) {
  const char* op = "instance_norm2d_act";
  const bool affine = detail::check_instance_norm_args(op, x, weight, bias, eps);
  if (!(negative_slope >= 0.0))
    throw std::invalid_argument("instance_norm2d_act: negative_slope must be >= 0");
  const int64_t N = x.size(0), C = x.size(1), HW = x.size(2) * x.size(3);

  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  Tensor mean = Tensor::empty(Shape{N * C}, x.dtype(), x.device());
  Tensor inv_std = Tensor::empty(Shape{N * C}, x.dtype(), x.device());
  Tensor z;  // cuda only: the normalised values, input of the activation's backward
  const bool graph = needs_graph({x, weight, bias});
  if (x.is_cuda()) {
#if GAN_HAS_CUDA
    constexpr int kLeaky = static_cast<int>(kernels::cpu::Activation::leaky_relu);
    z = Tensor::empty(x.shape(), x.dtype(), x.device());
    cuda::instance_norm2d_forward(x.data<float>(), affine ? weight.data<float>() : nullptr,
                                  affine ? bias.data<float>() : nullptr, z.data<float>(),
                                  mean.data<float>(), inv_std.data<float>(), N, C, HW,
                                  static_cast<float>(eps));
    cuda::activation_forward(kLeaky, z.data<float>(), y.data<float>(), x.numel(),
                             static_cast<float>(negative_slope));
    if (!graph) z = Tensor();
#else
    detail::no_cuda(op);
#endif
  } else {
    detail::with_scalar_type(x.dtype(), [&](auto t) {
      using T = decltype(t);
      kernels::cpu::instance_norm2d_act_forward<T>(
          x.data<T>(), affine ? weight.data<T>() : nullptr, affine ? bias.data<T>() : nullptr,
          y.data<T>(), mean.data<T>(), inv_std.data<T>(), N, C, HW, eps, T(negative_slope));
    });
  }
  if (!graph) return y;
  Tensor x_saved = x.detach();
  Tensor w_saved = affine ? weight.detach() : Tensor(), b_saved = affine ? bias.detach() : Tensor();
  return record(y, op, {x, weight, bias}, [=](const Tensor& gy, const std::vector<bool>& needs) {
    Tensor gx, gw, gb;
    if (needs[0]) gx = Tensor::empty(x_saved.shape(), gy.dtype(), gy.device());
    if (affine && needs[1]) gw = Tensor::empty(Shape{C}, gy.dtype(), gy.device());
    if (affine && needs[2]) gb = Tensor::empty(Shape{C}, gy.dtype(), gy.device());
    if (gy.is_cuda()) {
#if GAN_HAS_CUDA
      constexpr int kLeaky = static_cast<int>(kernels::cpu::Activation::leaky_relu);
      auto ptr = [](const Tensor& a) { return a.defined() ? a.data<float>() : nullptr; };
      Tensor gz = Tensor::empty(gy.shape(), gy.dtype(), gy.device());
      cuda::activation_backward(kLeaky, z.data<float>(), nullptr, gy.data<float>(),
                                gz.data<float>(), gy.numel(), static_cast<float>(negative_slope));
      cuda::instance_norm2d_backward(x_saved.data<float>(), ptr(w_saved), mean.data<float>(),
                                     inv_std.data<float>(), gz.data<float>(), ptr(gx), ptr(gw),
                                     ptr(gb), N, C, HW);
#else
      detail::no_cuda(op);
#endif
    } else {
      detail::with_scalar_type(gy.dtype(), [&](auto t) {
        using T = decltype(t);
        auto ptr = [](const Tensor& a) { return a.defined() ? a.data<T>() : nullptr; };
        kernels::cpu::instance_norm2d_act_backward<T>(
            x_saved.data<T>(), ptr(w_saved), ptr(b_saved), mean.data<T>(), inv_std.data<T>(),
            gy.data<T>(), ptr(gx), ptr(gw), ptr(gb), N, C, HW, T(negative_slope));
      });
    }
    return std::vector<Tensor>{gx, gw, gb};
  });
}

}  // namespace gan::ops
