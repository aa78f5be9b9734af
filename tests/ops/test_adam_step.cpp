// Adam's step as an op-table entry: the change of the parameters over a few steps (the same
// gradient each time) against a float64 loop of PyTorch's update; no gradient (it is no graph
// op); cuda against cpu. Kernels: kernels/cpu/adam.h, kernels/cuda/adam.cu. The cases are in
// tests/ops/op_table.cpp.
#include <cmath>

#include "nn/adam.h"
#include "tests/ops/op_harness.h"

using namespace gan;
using test::OpParams;

namespace {

// x = {param, grad}: param after `steps` steps minus param before.
Tensor adam_change(const std::vector<Tensor>& x, const nn::AdamOptions& o, int steps) {
  NoGradGuard no_grad;
  Tensor p = x[0].clone();
  nn::Adam opt({p}, o);
  for (int t = 0; t < steps; ++t) {
    p.set_grad(x[1]);
    opt.step();
  }
  return ops::sub(p, x[0]);
}

Tensor ref_adam_change(const std::vector<Tensor>& x, const nn::AdamOptions& o, int steps) {
  const int64_t n = x[0].numel();
  const double* p0 = x[0].data<double>();
  const double* g0 = x[1].data<double>();
  Tensor y = Tensor::empty(x[0].shape(), DType::f64);
  double* dy = y.data<double>();
  for (int64_t i = 0; i < n; ++i) {
    double p = p0[i], m = 0, v = 0;
    for (int t = 1; t <= steps; ++t) {
      const double g = g0[i] + o.weight_decay * p;
      m = o.beta1 * m + (1 - o.beta1) * g;
      v = o.beta2 * v + (1 - o.beta2) * g * g;
      const double bc1 = 1 - std::pow(o.beta1, t), bc2 = 1 - std::pow(o.beta2, t);
      p -= o.lr / bc1 * m / (std::sqrt(v) / std::sqrt(bc2) + o.eps);
    }
    dy[i] = p - p0[i];
  }
  return y;
}

test::OpFns adam_fns(const OpParams& p) {
  const nn::AdamOptions o{p["lr"], p["beta1"], p["beta2"], p["eps"], p["weight_decay"]};
  const int steps = p.integer("steps");
  return {[o, steps](const std::vector<Tensor>& x) { return adam_change(x, o, steps); },
          [o, steps](const std::vector<Tensor>& x) { return ref_adam_change(x, o, steps); }};
}

}  // namespace

GAN_OP_FACTORY(adam, adam_fns)
