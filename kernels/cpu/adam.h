// CPU kernel: one fused Adam step over n parameters (PyTorch's torch.optim.Adam, L2 weight decay):
//   g = grad + weight_decay * param
//   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2
//   param -= lr / bc1 * m / (sqrt(v) / sqrt(bc2) + eps)   with bc1 = 1 - beta1^t, bc2 = 1 - beta2^t
// One pass reads param, grad, m, v and writes param, m, v; grad is left unchanged.
#pragma once
#include <Eigen/Core>
#include <cmath>
#include <cstdint>

namespace gan::kernels::cpu {

struct AdamStep {
  double lr, beta1, beta2, eps, weight_decay;
  double bias_correction1, bias_correction2;  // 1 - beta^t for the step t being taken
};

template <class T>
void adam_update(T* param, const T* grad, T* m, T* v, int64_t n, const AdamStep& s) {
  using Vec = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
  using ConstVec = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;
  const T b1 = static_cast<T>(s.beta1), b2 = static_cast<T>(s.beta2);
  const T wd = static_cast<T>(s.weight_decay), eps = static_cast<T>(s.eps);
  const T step_size = static_cast<T>(s.lr / s.bias_correction1);
  const T inv_sqrt_bc2 = static_cast<T>(1.0 / std::sqrt(s.bias_correction2));
  constexpr int64_t kChunk = 1 << 14;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static) if (n > (1 << 17))
  for (int64_t k = 0; k < chunks; ++k) {
    const int64_t b = k * kChunk, len = n - b < kChunk ? n - b : kChunk;
    Vec P(param + b, len), M(m + b, len), V(v + b, len);
    ConstVec G(grad + b, len);
    if (wd != T(0)) {
      const auto g = (G + wd * P).eval();
      M = b1 * M + (T(1) - b1) * g;
      V = b2 * V + (T(1) - b2) * g.square();
    } else {
      M = b1 * M + (T(1) - b1) * G;
      V = b2 * V + (T(1) - b2) * G.square();
    }
    P -= step_size * M / (V.sqrt() * inv_sqrt_bc2 + eps);
  }
}

}  // namespace gan::kernels::cpu
