// bce_with_logits, mse_loss, l1_loss: see core/ops/losses.cpp. The cases are in
// tests/ops/op_table.cpp.
#include <cmath>

#include "tests/ops/op_harness.h"

using namespace gan;
using test::OpParams;

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

// x = {prediction, target}, or {prediction} and the parameter "target", a constant (for the losses
// with a constant-target overload, const_op).
test::OpFns loss_fns(const OpParams& p, LossFn op, ConstLossFn const_op,
                     double (*f)(double, double)) {
  if (!const_op || !p.has("target"))
    return {[op](const std::vector<Tensor>& v) { return op(v[0], v[1]); },
            [f](const std::vector<Tensor>& v) { return ref_mean(v, 0, f); }};
  const double t = p["target"];
  return {[const_op, t](const std::vector<Tensor>& v) { return const_op(v[0], t); },
          [f, t](const std::vector<Tensor>& v) { return ref_mean(v, t, f); }};
}

Tensor bce_t(const Tensor& x, const Tensor& t) { return ops::bce_with_logits(x, t); }
Tensor bce_c(const Tensor& x, double t) { return ops::bce_with_logits(x, t); }
Tensor mse_t(const Tensor& x, const Tensor& t) { return ops::mse_loss(x, t); }
Tensor mse_c(const Tensor& x, double t) { return ops::mse_loss(x, t); }

test::OpFns bce_with_logits_fns(const OpParams& p) { return loss_fns(p, bce_t, bce_c, bce); }
test::OpFns mse_loss_fns(const OpParams& p) { return loss_fns(p, mse_t, mse_c, sq); }
test::OpFns l1_loss_fns(const OpParams& p) { return loss_fns(p, ops::l1_loss, nullptr, absdiff); }

}  // namespace

GAN_OP_FACTORY(bce_with_logits, bce_with_logits_fns)
GAN_OP_FACTORY(mse_loss, mse_loss_fns)
GAN_OP_FACTORY(l1_loss, l1_loss_fns)

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
