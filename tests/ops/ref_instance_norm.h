// The naive instance-norm reference shared by the instance_norm2d and instance_norm2d_act tests.
#pragma once
#include <cmath>
#include <vector>

#include "core/tensor.h"

namespace gan::test {

// Naive reference: per (n, c) plane, mean and biased variance in two passes, then normalise.
inline Tensor ref_instance_norm(const std::vector<Tensor>& in, double eps) {
  const Tensor& x = in[0];
  const bool affine = in.size() == 3;
  int64_t N = x.size(0), C = x.size(1), HW = x.size(2) * x.size(3);
  Tensor y = Tensor::empty(x.shape(), DType::f64);
  const double* px = x.data<double>();
  double* py = y.data<double>();
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c) {
      const double* xs = px + (n * C + c) * HW;
      double mean = 0, var = 0;
      for (int64_t i = 0; i < HW; ++i) mean += xs[i];
      mean /= HW;
      for (int64_t i = 0; i < HW; ++i) var += (xs[i] - mean) * (xs[i] - mean);
      var /= HW;
      double w = affine ? in[1].data<double>()[c] : 1.0;
      double b = affine ? in[2].data<double>()[c] : 0.0;
      for (int64_t i = 0; i < HW; ++i)
        py[(n * C + c) * HW + i] = (xs[i] - mean) / std::sqrt(var + eps) * w + b;
    }
  return y;
}

}  // namespace gan::test
