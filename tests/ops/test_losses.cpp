// bce_with_logits, mse_loss, l1_loss: see core/ops/losses.cpp.
#include <cmath>

#include "tests/ops/op_harness.h"

using namespace gan;
using test::InputSpec;
using test::OpCase;

namespace {

// Naive reference: mean over i of f(x[i], t[i]); the target is x[1] or the constant t.
Tensor ref_mean(const std::vector<Tensor>& x, double t, double (*f)(double, double)) {
  double s = 0;
  for (int64_t i = 0; i < x[0].numel(); ++i)
    s += f(x[0].data<double>()[i], x.size() > 1 ? x[1].data<double>()[i] : t);
  return Tensor::scalar(s / x[0].numel(), DType::f64);
}

// Written the direct way (log of a sigmoid), fine for the moderate logits of these cases.
double bce(double x, double t) {
  double s = 1.0 / (1.0 + std::exp(-x));
  return -(t * std::log(s) + (1 - t) * std::log(1 - s));
}
double sq(double p, double t) { return (p - t) * (p - t); }
double absdiff(double p, double t) { return std::fabs(p - t); }

using LossFn = Tensor (*)(const Tensor&, const Tensor&);
using ConstLossFn = Tensor (*)(const Tensor&, double);

void add_cases(std::vector<OpCase>& r, LossFn op, double (*f)(double, double), InputSpec x,
               InputSpec t) {
  for (Shape s : {Shape{2, 3, 7, 5}, Shape{3, 1, 13, 11}}) {
    x.shape = t.shape = s;
    r.push_back({"tensor target " + s.str(), {x, t},
                 [op](const std::vector<Tensor>& v) { return op(v[0], v[1]); },
                 [f](const std::vector<Tensor>& v) { return ref_mean(v, 0, f); }});
  }
}
void add_const_cases(std::vector<OpCase>& r, ConstLossFn op, double (*f)(double, double),
                     InputSpec x, std::vector<double> targets) {
  for (double t : targets) {
    x.shape = {2, 3, 7, 5};
    r.push_back({"constant target " + std::to_string(t), {x},
                 [op, t](const std::vector<Tensor>& v) { return op(v[0], t); },
                 [f, t](const std::vector<Tensor>& v) { return ref_mean(v, t, f); }});
  }
}

Tensor bce_t(const Tensor& x, const Tensor& t) { return ops::bce_with_logits(x, t); }
Tensor bce_c(const Tensor& x, double t) { return ops::bce_with_logits(x, t); }
Tensor mse_t(const Tensor& x, const Tensor& t) { return ops::mse_loss(x, t); }
Tensor mse_c(const Tensor& x, double t) { return ops::mse_loss(x, t); }

std::vector<OpCase> bce_with_logits_cases() {
  std::vector<OpCase> r;
  add_cases(r, bce_t, bce, InputSpec{{}, -4, 4}, InputSpec{{}, 0, 1});
  add_const_cases(r, bce_c, bce, InputSpec{{}, -4, 4}, {0.0, 1.0, 0.9});
  return r;
}
std::vector<OpCase> mse_loss_cases() {
  std::vector<OpCase> r;
  add_cases(r, mse_t, sq, InputSpec{{}, -1, 1}, InputSpec{{}, -1, 1});
  add_const_cases(r, mse_c, sq, InputSpec{{}, -1, 1}, {0.0, 1.0, 0.5});
  return r;
}
std::vector<OpCase> l1_loss_cases() {
  // |pred| >= 0.3 and |target| <= 0.25 keep pred - target at least 0.05 away from the kink.
  std::vector<OpCase> r;
  add_cases(r, ops::l1_loss, absdiff, InputSpec{{}, -1, 1, 0.3}, InputSpec{{}, -0.25, 0.25});
  return r;
}

}  // namespace

GAN_OP_CASES(bce_with_logits, bce_with_logits_cases)
GAN_OP_CASES(mse_loss, mse_loss_cases)
GAN_OP_CASES(l1_loss, l1_loss_cases)

TEST_CASE("bce_with_logits is finite with finite gradients at logits +-100", "[bce_with_logits]") {
  for (DType dt : {DType::f32, DType::f64}) {
    INFO(dtype_name(dt));
    Tensor x = Tensor::from_vector(std::vector<double>{-100, 100, -100, 100}, Shape{4}).to(dt);
    Tensor t = Tensor::from_vector(std::vector<double>{0, 0, 1, 1}, Shape{4}).to(dt);
    x.set_requires_grad(true);
    t.set_requires_grad(true);
    Tensor loss = ops::bce_with_logits(x, t);
    // Per element: ~0 (right, confident), 100 (wrong), 100 (wrong), ~0 (right): mean 50.
    CHECK(loss.item() == Approx(50.0).epsilon(1e-6));
    loss.backward();
    std::vector<double> gx = x.grad().to_vector<double>(), gt = t.grad().to_vector<double>();
    // d/dx = (sigmoid(x) - t) / 4, d/dt = -x / 4.
    std::vector<double> ex{0.0, 0.25, -0.25, 0.0}, et{25, -25, 25, -25};
    for (int i = 0; i < 4; ++i) {
      CHECK(std::isfinite(gx[i]));
      CHECK(gx[i] == Approx(ex[i]).margin(1e-7));
      CHECK(gt[i] == Approx(et[i]));
    }
    // The constant-target overload agrees and stays finite too.
    for (double target : {0.0, 1.0}) {
      Tensor xc = x.detach();
      xc.set_requires_grad(true);
      Tensor l = ops::bce_with_logits(xc, target);
      CHECK(std::isfinite(l.item()));
      CHECK(l.item() == Approx(50.0).epsilon(1e-6));
      l.backward();
      for (double g : xc.grad().to_vector<double>()) CHECK(std::isfinite(g));
    }
  }
}

TEST_CASE("losses reject mismatched shapes, naming op and shapes", "[mse_loss]") {
  Tensor a = Tensor::zeros(Shape{2, 3}), b = Tensor::zeros(Shape{3, 2});
  CHECK_THROWS_WITH(ops::mse_loss(a, b), Catch::Contains("mse_loss") &&
                                             Catch::Contains("[2, 3]") && Catch::Contains("[3, 2]"));
  CHECK_THROWS_WITH(ops::l1_loss(a, b), Catch::Contains("l1_loss"));
  CHECK_THROWS_WITH(ops::bce_with_logits(a, b), Catch::Contains("bce_with_logits"));
}
