// CPU kernels: sum of all elements (mean = sum / n). Pairwise-blocked through Eigen's reduction,
// accumulated in double for float inputs so large tensors keep their precision.
#pragma once
#include <Eigen/Core>
#include <cstdint>

namespace gan::kernels::cpu {

template <class T>
double sum_all(const T* x, int64_t n) {
  Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>> X(x, n);
  // Blocks of 4096 summed in T (vectorised), block sums in double.
  double total = 0.0;
  for (int64_t i = 0; i < n; i += 4096) {
    int64_t len = n - i < 4096 ? n - i : 4096;
    total += static_cast<double>(X.segment(i, len).sum());
  }
  return total;
}

// Backward of sum: every element gets the same gradient value.
template <class T>
void fill(T* y, int64_t n, T value) {
  Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>(y, n).setConstant(value);
}

}  // namespace gan::kernels::cpu
