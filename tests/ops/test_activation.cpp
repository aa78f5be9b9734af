// relu, leaky_relu, tanh, sigmoid, abs: see core/ops/activation.cpp.
#include <cmath>
#include <memory>

#include "tests/ops/op_harness.h"

using namespace gan;
using test::InputSpec;
using test::OpCase;

namespace {

// Naive reference: y[i] = f(x[i]).
Tensor ref_pointwise(const Tensor& x, double (*f)(double)) {
  Tensor y = Tensor::empty(x.shape(), DType::f64);
  for (int64_t i = 0; i < x.numel(); ++i) y.data<double>()[i] = f(x.data<double>()[i]);
  return y;
}

// Cases on odd sizes and batch > 1. min_abs keeps inputs off the kink at 0 where there is one.
std::vector<OpCase> cases_for(Tensor (*op)(const Tensor&), double (*f)(double), double lo,
                              double hi, double min_abs) {
  std::vector<OpCase> r;
  for (Shape s : {Shape{2, 3, 7, 5}, Shape{3, 2, 13, 11}, Shape{37}}) {
    InputSpec in{s, lo, hi, min_abs};
    r.push_back({s.str(), {in}, [op](const std::vector<Tensor>& x) { return op(x[0]); },
                 [f](const std::vector<Tensor>& x) { return ref_pointwise(x[0], f); }});
  }
  return r;
}

double ref_relu(double v) { return v > 0 ? v : 0.0; }
double ref_leaky(double v) { return v > 0 ? v : 0.2 * v; }
double ref_tanh(double v) { return (std::exp(v) - std::exp(-v)) / (std::exp(v) + std::exp(-v)); }
double ref_sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }
double ref_abs(double v) { return v < 0 ? -v : v; }
Tensor leaky_02(const Tensor& x) { return ops::leaky_relu(x, 0.2); }

std::vector<OpCase> relu_cases() { return cases_for(ops::relu, ref_relu, -2, 2, 0.05); }
std::vector<OpCase> leaky_relu_cases() { return cases_for(leaky_02, ref_leaky, -2, 2, 0.05); }
std::vector<OpCase> tanh_cases() { return cases_for(ops::tanh, ref_tanh, -4, 4, 0.0); }
std::vector<OpCase> sigmoid_cases() { return cases_for(ops::sigmoid, ref_sigmoid, -6, 6, 0.0); }
std::vector<OpCase> abs_cases() { return cases_for(ops::abs, ref_abs, -2, 2, 0.05); }

// Gradient of f at the given points (one backward through sum).
std::vector<double> grad_at(Tensor (*f)(const Tensor&), std::vector<double> xs) {
  Tensor x = Tensor::from_vector(xs, Shape{static_cast<int64_t>(xs.size())});
  x.set_requires_grad(true);
  ops::sum(f(x)).backward();
  return x.grad().to_vector<double>();
}

}  // namespace

GAN_OP_CASES(relu, relu_cases)
GAN_OP_CASES(leaky_relu, leaky_relu_cases)
GAN_OP_CASES(tanh, tanh_cases)
GAN_OP_CASES(sigmoid, sigmoid_cases)
GAN_OP_CASES(abs, abs_cases)

TEST_CASE("relu and abs have gradient 0 at 0, leaky_relu takes the slope there", "[relu][abs]") {
  CHECK(grad_at(ops::relu, {-1.0, 0.0, 2.0}) == std::vector<double>{0.0, 0.0, 1.0});
  CHECK(grad_at(ops::abs, {-1.0, 0.0, 2.0}) == std::vector<double>{-1.0, 0.0, 1.0});
  CHECK(grad_at(leaky_02, {-1.0, 0.0, 2.0}) == std::vector<double>{0.2, 0.2, 1.0});
}

TEST_CASE("tanh and sigmoid saturate without NaN at +-100", "[tanh][sigmoid]") {
  for (DType t : {DType::f32, DType::f64}) {
    Tensor x = Tensor::from_vector(std::vector<double>{-100.0, 100.0}, Shape{2}).to(t);
    x.set_requires_grad(true);
    Tensor s = ops::sigmoid(x), h = ops::tanh(x);
    CHECK(s.to_vector<double>()[0] == Approx(0.0).margin(1e-30));
    CHECK(s.to_vector<double>()[1] == 1.0);
    CHECK(h.to_vector<double>() == std::vector<double>{-1.0, 1.0});
    ops::sum(ops::add(s, h)).backward();
    for (double g : x.grad().to_vector<double>()) CHECK(std::isfinite(g));
  }
}

TEST_CASE("activation outputs do not keep themselves alive through their grad_fn", "[tanh][sigmoid]") {
  Tensor x = Tensor::zeros(Shape{4}, DType::f64);
  x.set_requires_grad(true);
  for (Tensor (*f)(const Tensor&) : {ops::tanh, ops::sigmoid, ops::relu}) {
    std::weak_ptr<TensorImpl> weak;
    {
      Tensor y = f(x);
      REQUIRE(y.grad_fn());
      weak = y.impl_ptr();
    }
    CHECK(weak.expired());
  }
}
