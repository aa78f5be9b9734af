// add, sub, mul, div with per-channel / scalar broadcasting of b, and affine (a * s + t).
// Kernels: kernels/cpu/binary.h, kernels/cuda/binary.h.
#include "core/ops.h"
#include "core/ops/dispatch.h"
#include "kernels/cpu/binary.h"
#include "kernels/cuda/binary.h"

namespace gan::ops {
namespace {

using kernels::BinaryOp;

struct Broadcast {
  int64_t outer, channels, inner;
};

const char* op_name(BinaryOp op) {
  switch (op) {
    case BinaryOp::add: return "add";
    case BinaryOp::sub: return "sub";
    case BinaryOp::mul: return "mul";
    default: return "div";
  }
}

// How b broadcasts over a (see kernels/cpu/binary.h), or a shape error naming both.
Broadcast broadcast_of(const char* op, const Tensor& a, const Tensor& b) {
  check_same_dtype_device(op, a, b);
  if (a.shape() == b.shape()) return {1, a.numel(), 1};
  if (b.numel() == 1) return {1, 1, a.numel()};
  bool per_channel = a.ndim() == 4 &&
                     ((b.ndim() == 1 && b.size(0) == a.size(1)) ||
                      (b.ndim() == 4 && b.size(0) == 1 && b.size(1) == a.size(1) &&
                       b.size(2) == 1 && b.size(3) == 1));
  if (!per_channel)
    throw_shape_error(op, "b must match a, have one element, or be per-channel [C] / [1,C,1,1]", a, &b);
  return {a.size(0), a.size(1), a.size(2) * a.size(3)};
}

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b) {
  const char* name = op_name(op);
  Broadcast bc = broadcast_of(name, a, b);
  Tensor y = Tensor::empty(a.shape(), a.dtype(), a.device());
  detail::run_kernels(
      name, a,
      [&](auto t) {
        using T = decltype(t);
        kernels::cpu::binary_forward<T>(op, a.data<T>(), b.data<T>(), y.data<T>(), bc.outer,
                                        bc.channels, bc.inner);
      },
      [&](auto) {
        kernels::cuda::binary_forward(op, a.data<float>(), b.data<float>(), y.data<float>(),
                                      bc.outer, bc.channels, bc.inner);
      });
  if (!needs_graph({a, b})) return y;
  Tensor a_saved = a.detach(), b_saved = b.detach();
  return record(y, name, {a, b}, [=](const Tensor& gy, const std::vector<bool>& needs) {
    Tensor ga, gb;
    if (needs[0]) ga = Tensor::empty(a_saved.shape(), gy.dtype(), gy.device());
    if (needs[1]) gb = Tensor::empty(b_saved.shape(), gy.dtype(), gy.device());
    detail::run_kernels(
        name, gy,
        [&](auto t) {
          using T = decltype(t);
          kernels::cpu::binary_backward<T>(op, a_saved.data<T>(), b_saved.data<T>(), gy.data<T>(),
                                           detail::ptr<T>(ga), detail::ptr<T>(gb), bc.outer,
                                           bc.channels, bc.inner);
        },
        [&](auto) {
          kernels::cuda::binary_backward(op, a_saved.data<float>(), b_saved.data<float>(),
                                         gy.data<float>(), detail::ptr<float>(ga),
                                         detail::ptr<float>(gb), bc.outer, bc.channels, bc.inner);
        });
    return std::vector<Tensor>{ga, gb};
  });
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) { return binary(BinaryOp::add, a, b); }
Tensor sub(const Tensor& a, const Tensor& b) { return binary(BinaryOp::sub, a, b); }
Tensor mul(const Tensor& a, const Tensor& b) { return binary(BinaryOp::mul, a, b); }
Tensor div(const Tensor& a, const Tensor& b) { return binary(BinaryOp::div, a, b); }

Tensor affine(const Tensor& a, double scale, double shift) {
  Tensor y = Tensor::empty(a.shape(), a.dtype(), a.device());
  detail::run_kernels(
      "affine", a,
      [&](auto t) {
        using T = decltype(t);
        kernels::cpu::affine_forward<T>(a.data<T>(), y.data<T>(), a.numel(),
                                        static_cast<T>(scale), static_cast<T>(shift));
      },
      [&](auto) {
        kernels::cuda::affine_forward(a.data<float>(), y.data<float>(), a.numel(),
                                      static_cast<float>(scale), static_cast<float>(shift));
      });
  return record(y, "affine", {a}, [scale](const Tensor& gy, const std::vector<bool>&) {
    return std::vector<Tensor>{affine(gy, scale, 0.0)};
  });
}

}  // namespace gan::ops
