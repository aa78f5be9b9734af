// CPU kernels: pointwise activations (relu, leaky_relu, tanh, sigmoid, abs) and their gradients.
// Each works on n contiguous values, in chunks split over OpenMP threads for big tensors; inside
// a chunk Eigen vectorises (AVX-512 for float and double).
#pragma once
#include <Eigen/Core>
#include <cstdint>

#include "kernels/common/op_kinds.h"

namespace gan::kernels::cpu {

namespace activation_detail {

template <class T>
using Vec = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
template <class T>
using ConstVec = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;

// Calls f(begin, len) on chunks of [0, n), in parallel when n is large enough to pay for threads.
template <class F>
void for_chunks(int64_t n, F&& f) {
  constexpr int64_t kChunk = 1 << 14;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static) if (n > (1 << 17))
  for (int64_t k = 0; k < chunks; ++k) {
    const int64_t begin = k * kChunk;
    f(begin, n - begin < kChunk ? n - begin : kChunk);
  }
}

}  // namespace activation_detail

// y = act(x). slope is used by leaky_relu only.
template <class T>
void activation_forward(Activation act, const T* x, T* y, int64_t n, T slope) {
  using namespace activation_detail;
  for_chunks(n, [&](int64_t b, int64_t len) {
    ConstVec<T> X(x + b, len);
    Vec<T> Y(y + b, len);
    switch (act) {
      case Activation::relu: Y = X.max(T(0)); break;
      case Activation::leaky_relu: Y = (X > T(0)).select(X, X * slope); break;
      case Activation::tanh: Y = X.tanh(); break;
      // 1 / (1 + e^-x): e^-x overflows to inf for x << 0, giving exactly 0, never NaN.
      case Activation::sigmoid: Y = T(1) / (T(1) + (-X).exp()); break;
      case Activation::abs: Y = X.abs(); break;
    }
  });
}

// gx = gy * act'(.). relu, leaky_relu and abs read the input x; tanh and sigmoid read the output
// y (their derivatives are cheapest from it); the unused one may be null.
template <class T>
void activation_backward(Activation act, const T* x, const T* y, const T* gy, T* gx, int64_t n,
                         T slope) {
  using namespace activation_detail;
  for_chunks(n, [&](int64_t b, int64_t len) {
    ConstVec<T> G(gy + b, len);
    Vec<T> GX(gx + b, len);
    switch (act) {
      case Activation::relu: GX = (ConstVec<T>(x + b, len) > T(0)).select(G, T(0)); break;
      case Activation::leaky_relu:
        GX = (ConstVec<T>(x + b, len) > T(0)).select(G, G * slope);
        break;
      case Activation::tanh: {
        ConstVec<T> Y(y + b, len);
        GX = G * (T(1) - Y * Y);
        break;
      }
      case Activation::sigmoid: {
        ConstVec<T> Y(y + b, len);
        GX = G * Y * (T(1) - Y);
        break;
      }
      case Activation::abs: {
        // sign(x): +1, -1, and 0 at 0 (PyTorch's choice).
        ConstVec<T> X(x + b, len);
        GX = (X > T(0)).select(G, (X < T(0)).select(-G, T(0)));
        break;
      }
    }
  });
}

}  // namespace gan::kernels::cpu
