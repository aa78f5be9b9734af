// Adam (nn/adam.h) against updates worked out by hand, and on a small quadratic.
#include <catch2/catch.hpp>
#include <cmath>

#include "core/ops.h"
#include "nn/adam.h"

using namespace gan;

namespace {

Tensor vec(std::vector<double> v, DType t = DType::f64) {
  return Tensor::from_vector(v, Shape{static_cast<int64_t>(v.size())}).to(t);
}

void check_close(const std::vector<double>& got, const std::vector<double>& want, double tol) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i);
    CHECK(got[i] == Approx(want[i]).epsilon(0).margin(tol));
  }
}

}  // namespace

TEST_CASE("Adam: two steps match the update worked out by hand", "[adam]") {
  const double lr = 0.1, b1 = 0.9, b2 = 0.999, eps = 1e-8;
  Tensor p = vec({1.0, -2.0, 0.5});
  nn::Adam opt({p}, nn::AdamOptions{lr, b1, b2, eps, 0.0});

  // Step 1 with g = (0.1, -0.3, 2.0):
  //   m = 0.1 g, v = 0.001 g^2, bc1 = 0.1, bc2 = 0.001
  //   m / bc1 = g, sqrt(v) / sqrt(bc2) = |g|  ->  p -= 0.1 * g / (|g| + 1e-8) ~ 0.1 sign(g)
  //   p = (0.9, -1.9, 0.4) up to the eps term.
  p.set_grad(vec({0.1, -0.3, 2.0}));
  opt.step();
  CHECK(opt.step_count() == 1);
  check_close(p.to_vector<double>(), {0.9, -1.9, 0.4}, 1e-6);
  std::vector<double> p1 = {1.0 - lr * 0.1 / (0.1 + eps), -2.0 + lr * 0.3 / (0.3 + eps),
                            0.5 - lr * 2.0 / (2.0 + eps)};
  check_close(p.to_vector<double>(), p1, 1e-15);
  check_close(opt.exp_avg()[0].to_vector<double>(), {0.01, -0.03, 0.2}, 1e-15);
  check_close(opt.exp_avg_sq()[0].to_vector<double>(), {1e-5, 9e-5, 4e-3}, 1e-15);

  // Step 2 with g = (-0.2, 0.1, 1.0):
  //   m = 0.9 m + 0.1 g        = (0.009 - 0.02, -0.027 + 0.01, 0.18 + 0.1) = (-0.011, -0.017, 0.28)
  //   v = 0.999 v + 0.001 g^2  = (0.999e-5 + 4e-5, 8.991e-5 + 1e-5, 3.996e-3 + 1e-3)
  //     = (4.999e-5, 9.991e-5, 4.996e-3)
  //   bc1 = 1 - 0.81 = 0.19, bc2 = 1 - 0.998001 = 0.001999
  //   p -= 0.1 / 0.19 * m / (sqrt(v) / sqrt(0.001999) + 1e-8)
  p.set_grad(vec({-0.2, 0.1, 1.0}));
  opt.step();
  std::vector<double> m2{-0.011, -0.017, 0.28}, v2{4.999e-5, 9.991e-5, 4.996e-3}, p2(3);
  for (int i = 0; i < 3; ++i)
    p2[i] = p1[i] - lr / 0.19 * m2[i] / (std::sqrt(v2[i]) / std::sqrt(0.001999) + eps);
  check_close(opt.exp_avg()[0].to_vector<double>(), m2, 1e-15);
  check_close(opt.exp_avg_sq()[0].to_vector<double>(), v2, 1e-15);
  check_close(p.to_vector<double>(), p2, 1e-12);
  // By hand, element 0: sqrt(4.999e-5) / sqrt(0.001999) = 0.0070704 / 0.044710 = 0.15814,
  // step = 0.52632 * -0.011 / 0.15814 = -0.03661; likewise -0.04002 and +0.09322:
  check_close(p.to_vector<double>(), {0.93661, -1.85998, 0.30678}, 1e-4);
}

TEST_CASE("Adam: L2 weight decay adds weight_decay * param to the gradient", "[adam]") {
  const double lr = 0.01, b1 = 0.5, b2 = 0.999, eps = 1e-8, wd = 0.5;
  Tensor p = vec({2.0, -1.0});
  nn::Adam opt({p}, nn::AdamOptions{lr, b1, b2, eps, wd});
  // Step 1, g = (0.2, 0.2): g' = g + 0.5 p = (1.2, -0.3); m = 0.5 g', v = 0.001 g'^2,
  // m / bc1 = g', sqrt(v / bc2) = |g'|: p -= 0.01 g' / (|g'| + eps) -> (1.99, -0.99).
  p.set_grad(vec({0.2, 0.2}));
  opt.step();
  std::vector<double> p1{2.0 - lr * 1.2 / (1.2 + eps), -1.0 + lr * 0.3 / (0.3 + eps)};
  check_close(p.to_vector<double>(), p1, 1e-15);
  check_close(p.grad().to_vector<double>(), {0.2, 0.2}, 0);  // the stored gradient is untouched
  // Step 2, g = (0, 0): g' = 0.5 p1; m = 0.5 m1 + 0.5 g', v = 0.999 v1 + 0.001 g'^2,
  // bc1 = 0.75, bc2 = 0.001999.
  p.set_grad(vec({0.0, 0.0}));
  opt.step();
  std::vector<double> m1{0.6, -0.15}, v1{0.00144, 0.00009}, p2(2);
  for (int i = 0; i < 2; ++i) {
    double g = 0.5 * p1[i];
    double m = 0.5 * m1[i] + 0.5 * g, v = 0.999 * v1[i] + 0.001 * g * g;
    p2[i] = p1[i] - lr / 0.75 * m / (std::sqrt(v) / std::sqrt(0.001999) + eps);
  }
  check_close(p.to_vector<double>(), p2, 1e-12);
}

TEST_CASE("Adam: float32 parameters follow the float64 result", "[adam]") {
  Tensor p64 = vec({1.0, -2.0, 0.5, 3.0}), p32 = vec({1.0, -2.0, 0.5, 3.0}, DType::f32);
  nn::Adam a64({p64}, nn::AdamOptions{0.05}), a32({p32}, nn::AdamOptions{0.05});
  REQUIRE(a32.exp_avg()[0].dtype() == DType::f32);
  for (int s = 0; s < 5; ++s) {
    std::vector<double> g{0.3 * s - 0.5, 0.2, -1.0 + s, 0.01};
    p64.set_grad(vec(g));
    p32.set_grad(vec(g, DType::f32));
    a64.step();
    a32.step();
  }
  check_close(p32.to_vector<double>(), p64.to_vector<double>(), 1e-5);
}

TEST_CASE("Adam minimises a small quadratic", "[adam]") {
  // f(x) = sum((x - c)^2), minimum at c.
  Tensor x = Tensor::zeros(Shape{3}, DType::f64);
  x.set_requires_grad(true);
  Tensor c = vec({1.0, -2.0, 3.0});
  nn::Adam opt({x}, nn::AdamOptions{0.05, 0.9, 0.999});
  double first = 0, last = 0;
  for (int i = 0; i < 600; ++i) {
    opt.zero_grad();
    Tensor d = ops::sub(x, c);
    Tensor loss = ops::sum(ops::mul(d, d));
    if (i == 0) first = loss.item();
    last = loss.item();
    loss.backward();
    opt.step();
  }
  CHECK(first == Approx(14.0));
  CHECK(last < 1e-4);
  check_close(x.detach().to_vector<double>(), {1.0, -2.0, 3.0}, 1e-2);
}

TEST_CASE("Adam: skips parameters without gradient, zero_grad, lr and step count", "[adam]") {
  Tensor a = vec({1.0}), b = vec({1.0});
  nn::Adam opt({a, b}, nn::AdamOptions{0.1});
  a.set_grad(vec({1.0}));
  opt.step();
  CHECK(a.item() == Approx(0.9));
  CHECK(b.item() == 1.0);
  opt.zero_grad();
  CHECK_FALSE(a.grad().defined());
  opt.set_lr(0.5);
  CHECK(opt.lr() == 0.5);
  CHECK(opt.options().lr == 0.5);
  CHECK(opt.params().size() == 2);
  CHECK_THROWS(opt.set_lr(-1.0));
  CHECK_THROWS(nn::Adam({a}, nn::AdamOptions{0.1, 1.0}));
}

TEST_CASE("Adam: restoring moments and step count resumes exactly", "[adam]") {
  auto grad1 = vec({0.3, -0.1}), grad2 = vec({-0.2, 0.4});
  Tensor p = vec({0.5, 0.5});
  nn::Adam full({p});
  p.set_grad(grad1);
  full.step();
  // A checkpoint after step 1.
  Tensor q = p.clone().detach();
  Tensor m = full.exp_avg()[0].clone(), v = full.exp_avg_sq()[0].clone();
  p.set_grad(grad2);
  full.step();

  nn::Adam resumed({q});
  resumed.exp_avg()[0].copy_from(m);
  resumed.exp_avg_sq()[0].copy_from(v);
  resumed.set_step_count(1);
  q.set_grad(grad2);
  resumed.step();
  CHECK(resumed.step_count() == 2);
  CHECK(q.to_vector<double>() == p.to_vector<double>());
}
