// reflection_pad2d (PyTorch's ReflectionPad2d with the same pad on all four sides).
// Kernels: kernels/cpu/reflection_pad2d.h, kernels/cuda/reflection_pad2d.h.
#include <stdexcept>
#include <string>

#include "core/ops.h"
#include "core/ops/dispatch.h"
#include "kernels/cpu/reflection_pad2d.h"
#include "kernels/cuda/reflection_pad2d.h"

namespace gan::ops {

Tensor reflection_pad2d(const Tensor& x, int pad) {
  check_ndim("reflection_pad2d", x, 4);
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  if (pad < 0)
    throw_shape_error("reflection_pad2d", "pad must be >= 0, got " + std::to_string(pad), x);
  if (pad >= H || pad >= W)
    throw_shape_error("reflection_pad2d",
                      "pad " + std::to_string(pad) + " must be smaller than H and W", x);

  Tensor y = Tensor::empty(Shape{N, C, H + 2 * pad, W + 2 * pad}, x.dtype(), x.device());
  detail::run_kernels(
      "reflection_pad2d", x,
      [&](auto t) {
        using T = decltype(t);
        kernels::cpu::reflection_pad2d_forward<T>(x.data<T>(), y.data<T>(), N * C, H, W, pad);
      },
      [&](auto) {
        kernels::cuda::reflection_pad2d_forward(x.data<float>(), y.data<float>(), N * C, H, W, pad);
      });
  Shape in_shape = x.shape();
  return record(y, "reflection_pad2d", {x}, [=](const Tensor& gy, const std::vector<bool>&) {
    Tensor gx = Tensor::empty(in_shape, gy.dtype(), gy.device());
    detail::run_kernels(
        "reflection_pad2d", gy,
        [&](auto t) {
          using T = decltype(t);
          kernels::cpu::reflection_pad2d_backward<T>(gy.data<T>(), gx.data<T>(), N * C, H, W, pad);
        },
        [&](auto) {
          kernels::cuda::reflection_pad2d_backward(gy.data<float>(), gx.data<float>(), N * C, H, W,
                                                   pad);
        });
    return std::vector<Tensor>{gx};
  });
}

}  // namespace gan::ops
