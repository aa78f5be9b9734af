// The GAN steps' loss terms recomputed by hand from a tensor's values, for the step tests
// (tests/train/test_cyclegan_step.cpp, test_pix2pix_step.cpp).
#pragma once
#include <cmath>

#include "core/tensor.h"

namespace gan::testing {

// mean(softplus(-x)) for target 1, mean(softplus(x)) for target 0.
inline double bce_by_hand(const Tensor& logits, double target) {
  double s = 0;
  auto v = logits.to_vector<float>();
  for (float x : v) s += std::log1p(std::exp(target == 1 ? -double(x) : double(x)));
  return s / v.size();
}

// mean |a - b|.
inline double l1_by_hand(const Tensor& a, const Tensor& b) {
  auto x = a.to_vector<float>(), y = b.to_vector<float>();
  double s = 0;
  for (size_t i = 0; i < x.size(); ++i) s += std::abs(double(x[i]) - y[i]);
  return s / x.size();
}

}  // namespace gan::testing
