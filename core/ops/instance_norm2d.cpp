// instance_norm2d (PyTorch's InstanceNorm2d, training-mode statistics, optional affine).
// Kernels: kernels/cpu/instance_norm2d.h. The forward's per-plane mean and 1/std are kept for the
// backward, so it never recomputes the statistics.
#include <stdexcept>
#include <string>

#include "core/ops.h"
#include "core/ops/dispatch.h"
#include "core/ops/instance_norm_checks.h"
#include "kernels/cpu/instance_norm2d.h"
#if GAN_HAS_CUDA
#include "kernels/cuda/instance_norm2d.h"
#endif

namespace gan::ops {

Tensor instance_norm2d(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps) {
  const char* op = "instance_norm2d";
  const bool affine = detail::check_instance_norm_args(op, x, weight, bias, eps);
  const int64_t N = x.size(0), C = x.size(1), HW = x.size(2) * x.size(3);

  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  Tensor mean = Tensor::empty(Shape{N * C}, x.dtype(), x.device());
  Tensor inv_std = Tensor::empty(Shape{N * C}, x.dtype(), x.device());
  if (x.is_cuda()) {
#if GAN_HAS_CUDA
    cuda::instance_norm2d_forward(x.data<float>(), affine ? weight.data<float>() : nullptr,
                                  affine ? bias.data<float>() : nullptr, y.data<float>(),
                                  mean.data<float>(), inv_std.data<float>(), N, C, HW,
                                  static_cast<float>(eps));
#else
    detail::no_cuda(op);
#endif
  } else {
    detail::with_scalar_type(x.dtype(), [&](auto t) {
      using T = decltype(t);
      kernels::cpu::instance_norm2d_forward<T>(
          x.data<T>(), affine ? weight.data<T>() : nullptr, affine ? bias.data<T>() : nullptr,
          y.data<T>(), mean.data<T>(), inv_std.data<T>(), N, C, HW, eps);
    });
  }
  if (!needs_graph({x, weight, bias})) return y;
  Tensor x_saved = x.detach();
  Tensor w_saved = affine ? weight.detach() : Tensor();
  return record(y, op, {x, weight, bias}, [=](const Tensor& gy, const std::vector<bool>& needs) {
    Tensor gx, gw, gb;
    if (needs[0]) gx = Tensor::empty(x_saved.shape(), gy.dtype(), gy.device());
    if (affine && needs[1]) gw = Tensor::empty(Shape{C}, gy.dtype(), gy.device());
    if (affine && needs[2]) gb = Tensor::empty(Shape{C}, gy.dtype(), gy.device());
    if (gy.is_cuda()) {
#if GAN_HAS_CUDA
      auto ptr = [](const Tensor& a) { return a.defined() ? a.data<float>() : nullptr; };
      cuda::instance_norm2d_backward(x_saved.data<float>(), ptr(w_saved), mean.data<float>(),
                                     inv_std.data<float>(), gy.data<float>(), ptr(gx), ptr(gw),
                                     ptr(gb), N, C, HW);
#else
      detail::no_cuda(op);
#endif
    } else {
      detail::with_scalar_type(gy.dtype(), [&](auto t) {
        using T = decltype(t);
        auto ptr = [](const Tensor& a) { return a.defined() ? a.data<T>() : nullptr; };
        kernels::cpu::instance_norm2d_backward<T>(x_saved.data<T>(), ptr(w_saved), mean.data<T>(),
                                                  inv_std.data<T>(), gy.data<T>(), ptr(gx),
                                                  ptr(gw), ptr(gb), N, C, HW);
      });
    }
    return std::vector<Tensor>{gx, gw, gb};
  });
}

}  // namespace gan::ops
