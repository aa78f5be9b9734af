// Adam's step as an op-table entry: the change of the parameters over two steps (the same
// gradient both times) against a float64 loop of PyTorch's update; no gradient (it is no graph
// op); cuda against cpu. Kernels: kernels/cpu/adam.h, kernels/cuda/adam.cu.
#include <cmath>

#include "nn/adam.h"
#include "tests/ops/op_harness.h"

using namespace gan;
using test::InputSpec;
using test::OpCase;

namespace {

constexpr int kSteps = 2;

// x = {param, grad}: param after kSteps steps minus param before.
Tensor adam_change(const std::vector<Tensor>& x, const nn::AdamOptions& o) {
  NoGradGuard no_grad;
  Tensor p = x[0].clone();
  nn::Adam opt({p}, o);
  for (int t = 0; t < kSteps; ++t) {
    p.set_grad(x[1]);
    opt.step();
  }
  return ops::sub(p, x[0]);
}

Tensor ref_adam_change(const std::vector<Tensor>& x, const nn::AdamOptions& o) {
  const int64_t n = x[0].numel();
  const double* p0 = x[0].data<double>();
  const double* g0 = x[1].data<double>();
  Tensor y = Tensor::empty(x[0].shape(), DType::f64);
  double* dy = y.data<double>();
  for (int64_t i = 0; i < n; ++i) {
    double p = p0[i], m = 0, v = 0;
    for (int t = 1; t <= kSteps; ++t) {
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

std::vector<OpCase> adam_cases() {
  std::vector<OpCase> r;
  auto add = [&](const char* name, Shape shape, double weight_decay) {
    nn::AdamOptions o{0.1, 0.5, 0.999, 1e-8, weight_decay};
    OpCase c;
    c.name = name;
    c.inputs = {InputSpec{shape, -1, 1, 0.0, false}, InputSpec{shape, -1, 1, 0.05, false}};
    c.op = [o](const std::vector<Tensor>& x) { return adam_change(x, o); };
    c.reference = [o](const std::vector<Tensor>& x) { return ref_adam_change(x, o); };
    c.f32_tolerance = 1e-5;  // the change is the difference of two float32 parameters
    r.push_back(c);
  };
  add("37 values", Shape{37}, 0.0);
  add("64 values (float4 path)", Shape{64}, 0.0);
  add("2x3x5x7, weight decay 0.01", Shape{2, 3, 5, 7}, 0.01);
  return r;
}

}  // namespace

GAN_OP_CASES(adam, adam_cases)
