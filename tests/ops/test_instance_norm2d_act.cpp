// instance_norm2d_act (instance norm + ReLU / LeakyReLU in one op): core/ops/instance_norm2d_act.cpp.
// The cases are in tests/ops/op_table.cpp.
#include <cmath>

#include "tests/ops/op_harness.h"
#include "tests/ops/ref_instance_norm.h"

using namespace gan;
using test::OpParams;

namespace {

// Naive reference: the naive instance norm (per (n, c) plane, two passes, affine), then
// z > 0 ? z : slope * z.
Tensor ref_instance_norm_act(const std::vector<Tensor>& in, double slope, double eps) {
  Tensor y = test::ref_instance_norm(in, eps);
  double* py = y.data<double>();
  for (int64_t i = 0; i < y.numel(); ++i) py[i] = py[i] > 0 ? py[i] : slope * py[i];
  return y;
}

// x = {input} or {input, weight, bias} (affine).
test::OpFns instance_norm2d_act_fns(const OpParams& p) {
  const double slope = p["slope"], eps = p["eps"];
  return {[slope, eps](const std::vector<Tensor>& x) {
            return x.size() == 3 ? ops::instance_norm2d_act(x[0], x[1], x[2], slope, eps)
                                 : ops::instance_norm2d_act(x[0], Tensor(), Tensor(), slope, eps);
          },
          [slope, eps](const std::vector<Tensor>& x) {
            return ref_instance_norm_act(x, slope, eps);
          }};
}

}  // namespace

GAN_OP_FACTORY(instance_norm2d_act, instance_norm2d_act_fns)

TEST_CASE("instance_norm2d_act equals instance_norm2d then the activation", "[instance_norm2d_act]") {
  // Large planes (the parallel path), float32, forward and all three gradients.
  Rng g(5);
  for (double slope : {0.0, 0.2}) {
    Tensor x = Tensor::uniform(Shape{2, 8, 48, 40}, g, -2, 2);
    Tensor w = Tensor::uniform(Shape{8}, g, 0.5, 1.5), b = Tensor::uniform(Shape{8}, g, -0.5, 0.5);
    Tensor gy = Tensor::uniform(x.shape(), g, -1, 1);
    for (Tensor* t : {&x, &w, &b}) t->set_requires_grad(true);
    auto grads = [&](const Tensor& y) {
      for (Tensor* t : {&x, &w, &b}) t->zero_grad();
      ops::sum(ops::mul(y, gy)).backward();
      return std::vector<std::vector<double>>{y.to_vector<double>(), x.grad().to_vector<double>(),
                                              w.grad().to_vector<double>(),
                                              b.grad().to_vector<double>()};
    };
    Tensor z = ops::instance_norm2d(x, w, b);
    auto expected = grads(slope == 0.0 ? ops::relu(z) : ops::leaky_relu(z, slope));
    auto got = grads(ops::instance_norm2d_act(x, w, b, slope));
    for (size_t i = 0; i < got.size(); ++i) {
      INFO("slope " << slope << ", result " << i << " (y, gx, gw, gb)");
      CHECK(test::rel_l2(got[i], expected[i]) < 1e-5);
    }
  }
}

TEST_CASE("instance_norm2d_act rejects a negative slope", "[instance_norm2d_act]") {
  Tensor x = Tensor::zeros(Shape{1, 2, 3, 3});
  CHECK_THROWS_AS(ops::instance_norm2d_act(x, Tensor(), Tensor(), -0.1), std::invalid_argument);
}
