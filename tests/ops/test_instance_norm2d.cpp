// instance_norm2d with and without affine: see core/ops/instance_norm2d.cpp.
#include <cmath>

#include "tests/ops/op_harness.h"
#include "tests/ops/ref_instance_norm.h"

using namespace gan;
using test::InputSpec;
using test::OpCase;
using test::ref_instance_norm;

namespace {

OpCase make(std::string name, Shape s, bool affine, double eps = 1e-5, double lo = -1,
            double hi = 1) {
  std::vector<InputSpec> in{InputSpec{s, lo, hi}};
  if (affine) {
    in.push_back(InputSpec{{s[1]}, 0.5, 1.5});
    in.push_back(InputSpec{{s[1]}, -0.5, 0.5});
  }
  return {name, in,
          [affine, eps](const std::vector<Tensor>& x) {
            return affine ? ops::instance_norm2d(x[0], x[1], x[2], eps)
                          : ops::instance_norm2d(x[0], Tensor(), Tensor(), eps);
          },
          [eps](const std::vector<Tensor>& x) { return ref_instance_norm(x, eps); }};
}

// Planes of two elements: the input gradient is nearly zero and made of rounding noise, so float32
// cuda and float32 cpu agree only to about 1e-4 (each is 4e-4 from float64). Checked on the cpu
// in float64 only.
OpCase two_element_planes() {
  OpCase c = make("affine 1x1 plane of 1x2", {2, 3, 1, 2}, true);
  c.check_device = false;
  return c;
}

std::vector<OpCase> instance_norm2d_cases() {
  return {make("no affine 2x3x7x5", {2, 3, 7, 5}, false),
          make("affine 2x3x7x5", {2, 3, 7, 5}, true),
          make("affine 3x2x13x11", {3, 2, 13, 11}, true),
          make("no affine 1x4x5x5 eps 1e-3", {1, 4, 5, 5}, false, 1e-3),
          make("affine, values in [100, 101] 2x2x13x11", {2, 2, 13, 11}, true, 1e-5, 100, 101),
          two_element_planes()};
}

}  // namespace

GAN_OP_CASES(instance_norm2d, instance_norm2d_cases)

TEST_CASE("instance_norm2d float32 stays accurate on a large offset", "[instance_norm2d]") {
  // Planes of 1e4 + small noise: E[x^2] - E[x]^2 in float would lose every digit.
  Rng g(3);
  Tensor x64 = ops::add(Tensor::uniform(Shape{2, 2, 32, 32}, g, -1, 1, DType::f64), 1e4);
  Tensor x32 = x64.to(DType::f32);
  Tensor ref = ref_instance_norm({x32.to(DType::f64)}, 1e-5);
  Tensor y = ops::instance_norm2d(x32, Tensor(), Tensor());
  double e = test::rel_l2(y.to_vector<double>(), ref.to_vector<double>());
  INFO("rel. error " << e);
  CHECK(e < 1e-5);
}

TEST_CASE("instance_norm2d rejects bad weight/bias, naming the op and shapes", "[instance_norm2d]") {
  Tensor x = Tensor::zeros(Shape{2, 3, 4, 4});
  CHECK_THROWS_WITH(ops::instance_norm2d(x, Tensor::ones(Shape{3}), Tensor()),
                    Catch::Contains("instance_norm2d"));
  CHECK_THROWS_WITH(ops::instance_norm2d(x, Tensor::ones(Shape{4}), Tensor::zeros(Shape{4})),
                    Catch::Contains("instance_norm2d") && Catch::Contains("[2, 3, 4, 4]") &&
                        Catch::Contains("[4]"));
  CHECK_THROWS_WITH(ops::instance_norm2d(Tensor::zeros(Shape{3, 4, 4}), Tensor(), Tensor()),
                    Catch::Contains("instance_norm2d"));
}
