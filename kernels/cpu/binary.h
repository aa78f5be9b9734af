// CPU kernels: elementwise a (op) b with b broadcast per channel, and their gradients.
// Layout: a and y are [outer, channels, inner]; b has `channels` values and b[c] applies to the
// block (o, c, :). This one form covers same shape (outer = 1, inner = 1), a scalar b
// (channels = 1) and per-channel b over NCHW (outer = N, inner = H*W).
#pragma once
#include <Eigen/Core>
#include <cstdint>

#include "kernels/common/op_kinds.h"

namespace gan::kernels::cpu {

template <class T>
using ArrayMap = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
template <class T>
using ConstArrayMap = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;

template <class T>
void binary_forward(BinaryOp op, const T* a, const T* b, T* y, int64_t outer, int64_t channels,
                    int64_t inner) {
  if (inner == 1 && outer == 1) {  // same shape: one vectorised pass
    ConstArrayMap<T> A(a, channels), B(b, channels);
    ArrayMap<T> Y(y, channels);
    switch (op) {
      case BinaryOp::add: Y = A + B; break;
      case BinaryOp::sub: Y = A - B; break;
      case BinaryOp::mul: Y = A * B; break;
      case BinaryOp::div: Y = A / B; break;
    }
    return;
  }
#pragma omp parallel for collapse(2) if (outer * channels * inner > (1 << 18))
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t c = 0; c < channels; ++c) {
      int64_t base = (o * channels + c) * inner;
      ConstArrayMap<T> A(a + base, inner);
      ArrayMap<T> Y(y + base, inner);
      const T s = b[c];
      switch (op) {
        case BinaryOp::add: Y = A + s; break;
        case BinaryOp::sub: Y = A - s; break;
        case BinaryOp::mul: Y = A * s; break;
        case BinaryOp::div: Y = A / s; break;
      }
    }
}

// Gradients given gy (shape of a). ga (shape of a) and gb (`channels` values, reduced over outer
// and inner) may each be null when not wanted.
template <class T>
void binary_backward(BinaryOp op, const T* a, const T* b, const T* gy, T* ga, T* gb, int64_t outer,
                     int64_t channels, int64_t inner) {
  if (inner == 1 && outer == 1) {  // same shape: whole-array passes (e.g. ResNet's residual adds)
    ConstArrayMap<T> A(a, channels), B(b, channels), G(gy, channels);
    if (ga) {
      ArrayMap<T> GA(ga, channels);
      switch (op) {
        case BinaryOp::add:
        case BinaryOp::sub: GA = G; break;
        case BinaryOp::mul: GA = G * B; break;
        case BinaryOp::div: GA = G / B; break;
      }
    }
    if (gb) {
      ArrayMap<T> GB(gb, channels);
      switch (op) {
        case BinaryOp::add: GB = G; break;
        case BinaryOp::sub: GB = -G; break;
        case BinaryOp::mul: GB = G * A; break;
        case BinaryOp::div: GB = -(G * A) / (B * B); break;
      }
    }
    return;
  }
  if (gb)
    for (int64_t c = 0; c < channels; ++c) gb[c] = T(0);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t c = 0; c < channels; ++c) {
      int64_t base = (o * channels + c) * inner;
      ConstArrayMap<T> A(a + base, inner), G(gy + base, inner);
      const T s = b[c];
      if (ga) {
        ArrayMap<T> GA(ga + base, inner);
        switch (op) {
          case BinaryOp::add: GA = G; break;
          case BinaryOp::sub: GA = G; break;
          case BinaryOp::mul: GA = G * s; break;
          case BinaryOp::div: GA = G / s; break;
        }
      }
      if (gb) {
        switch (op) {
          case BinaryOp::add: gb[c] += G.sum(); break;
          case BinaryOp::sub: gb[c] -= G.sum(); break;
          case BinaryOp::mul: gb[c] += (G * A).sum(); break;
          case BinaryOp::div: gb[c] -= (G * A).sum() / (s * s); break;
        }
      }
    }
}

// y = a * scale + shift
template <class T>
void affine_forward(const T* a, T* y, int64_t n, T scale, T shift) {
  ArrayMap<T>(y, n) = ConstArrayMap<T>(a, n) * scale + shift;
}

}  // namespace gan::kernels::cpu
