// CPU kernels: the elementwise losses (sums; the op divides by n) and their gradients.
//   bce_with_logits: max(x,0) - x*t + log1p(exp(-|x|))   d/dx = sigmoid(x) - t,  d/dt = -x
//   mse:             (p - t)^2                           d/dp = 2 (p - t),       d/dt = -d/dp
//   l1:              |p - t|                             d/dp = sign(p - t),     d/dt = -d/dp
// The target is either n values (t) or one constant (t == nullptr, t_const). Sums are taken in T
// over chunks (vectorised) and accumulated in double; chunks run over OpenMP threads when big.
#pragma once
#include <Eigen/Core>
#include <cstdint>

#include "kernels/common/op_kinds.h"

namespace gan::kernels::cpu {

namespace loss_detail {
template <class T>
using Vec = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
template <class T>
using ConstVec = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;
constexpr int64_t kChunk = 4096;

// Calls f(begin, len, target expression) for the chunk, with t as a map or a constant.
template <class T, class F>
auto with_target(const T* t, T t_const, int64_t b, int64_t len, F&& f) {
  if (t) return f(ConstVec<T>(t + b, len));
  return f(Eigen::Array<T, Eigen::Dynamic, 1>::Constant(len, t_const));
}
}  // namespace loss_detail

template <class T>
double loss_sum(Loss loss, const T* x, const T* t, T t_const, int64_t n) {
  using namespace loss_detail;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  double total = 0.0;
#pragma omp parallel for schedule(static) reduction(+ : total) if (n > (1 << 17))
  for (int64_t k = 0; k < chunks; ++k) {
    const int64_t b = k * kChunk, len = n - b < kChunk ? n - b : kChunk;
    ConstVec<T> X(x + b, len);
    total += with_target(t, t_const, b, len, [&](const auto& Tt) -> double {
      switch (loss) {
        case Loss::bce_with_logits:
          // log1p(exp(-|x|)) never overflows: exp(-|x|) is in (0, 1].
          return static_cast<double>(
              (X.max(T(0)) - X * Tt + (-X.abs()).exp().log1p()).sum());
        case Loss::mse: return static_cast<double>((X - Tt).square().sum());
        default: return static_cast<double>((X - Tt).abs().sum());
      }
    });
  }
  return total;
}

// gx = scale * d/dx, gt = scale * d/dt (scale = upstream gradient / n). Either may be null;
// gt is ignored when the target is a constant.
template <class T>
void loss_backward(Loss loss, const T* x, const T* t, T t_const, T* gx, T* gt, int64_t n, T scale) {
  using namespace loss_detail;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static) if (n > (1 << 17))
  for (int64_t k = 0; k < chunks; ++k) {
    const int64_t b = k * kChunk, len = n - b < kChunk ? n - b : kChunk;
    ConstVec<T> X(x + b, len);
    with_target(t, t_const, b, len, [&](const auto& Tt) {
      switch (loss) {
        case Loss::bce_with_logits:
          if (gx) Vec<T>(gx + b, len) = scale * (T(1) / (T(1) + (-X).exp()) - Tt);
          if (gt) Vec<T>(gt + b, len) = -scale * X;
          break;
        case Loss::mse:
          if (gx) Vec<T>(gx + b, len) = (T(2) * scale) * (X - Tt);
          if (gt) Vec<T>(gt + b, len) = (T(-2) * scale) * (X - Tt);
          break;
        case Loss::l1: {
          // sign(d) with sign(0) = 0, as PyTorch.
          const auto sgn = (X - Tt).sign().eval();
          if (gx) Vec<T>(gx + b, len) = scale * sgn;
          if (gt) Vec<T>(gt + b, len) = -scale * sgn;
          break;
        }
      }
      return 0;
    });
  }
}

}  // namespace gan::kernels::cpu
