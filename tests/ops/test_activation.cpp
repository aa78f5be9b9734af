// relu, leaky_relu, tanh, sigmoid, abs: see core/ops/activation.cpp. The cases are in
// tests/ops/op_table.cpp.
#include <cmath>
#include <memory>

#include "tests/ops/op_harness.h"

using namespace gan;
using test::OpParams;

namespace {

// Naive reference: y[i] = f(x[i]).
Tensor ref_pointwise(const Tensor& x, double (*f)(double)) {
  Tensor y = Tensor::empty(x.shape(), DType::f64);
  for (int64_t i = 0; i < x.numel(); ++i) y.data<double>()[i] = f(x.data<double>()[i]);
  return y;
}

test::OpFns pointwise_fns(Tensor (*op)(const Tensor&), double (*f)(double)) {
  return {[op](const std::vector<Tensor>& x) { return op(x[0]); },
          [f](const std::vector<Tensor>& x) { return ref_pointwise(x[0], f); }};
}

double ref_relu(double v) { return v > 0 ? v : 0.0; }
double ref_tanh(double v) { return (std::exp(v) - std::exp(-v)) / (std::exp(v) + std::exp(-v)); }
double ref_sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }
double ref_abs(double v) { return v < 0 ? -v : v; }
Tensor leaky_02(const Tensor& x) { return ops::leaky_relu(x, 0.2); }

test::OpFns relu_fns(const OpParams&) { return pointwise_fns(ops::relu, ref_relu); }
test::OpFns tanh_fns(const OpParams&) { return pointwise_fns(ops::tanh, ref_tanh); }
test::OpFns sigmoid_fns(const OpParams&) { return pointwise_fns(ops::sigmoid, ref_sigmoid); }
test::OpFns abs_fns(const OpParams&) { return pointwise_fns(ops::abs, ref_abs); }
test::OpFns leaky_relu_fns(const OpParams& p) {
  const double slope = p["slope"];
  return {[slope](const std::vector<Tensor>& x) { return ops::leaky_relu(x[0], slope); },
          [slope](const std::vector<Tensor>& x) {
            Tensor y = Tensor::empty(x[0].shape(), DType::f64);
            for (int64_t i = 0; i < x[0].numel(); ++i) {
              const double v = x[0].data<double>()[i];
              y.data<double>()[i] = v > 0 ? v : slope * v;
            }
            return y;
          }};
}

// Gradient of f at the given points (one backward through sum).
std::vector<double> grad_at(Tensor (*f)(const Tensor&), std::vector<double> xs) {
  Tensor x = Tensor::from_vector(xs, Shape{static_cast<int64_t>(xs.size())});
  x.set_requires_grad(true);
  ops::sum(f(x)).backward();
  return x.grad().to_vector<double>();
}

}  // namespace

GAN_OP_FACTORY(relu, relu_fns)
GAN_OP_FACTORY(leaky_relu, leaky_relu_fns)
GAN_OP_FACTORY(tanh, tanh_fns)
GAN_OP_FACTORY(sigmoid, sigmoid_fns)
GAN_OP_FACTORY(abs, abs_fns)

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
