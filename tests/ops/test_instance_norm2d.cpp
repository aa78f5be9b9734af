// instance_norm2d with and without affine: see core/ops/instance_norm2d.cpp. The cases are in
// tests/ops/op_table.cpp.
#include <cmath>

#include "tests/ops/op_harness.h"
#include "tests/ops/ref_instance_norm.h"

using namespace gan;
using test::OpParams;
using test::ref_instance_norm;

namespace {

// x = {input} or {input, weight, bias} (affine).
test::OpFns instance_norm2d_fns(const OpParams& p) {
  const double eps = p["eps"];
  return {[eps](const std::vector<Tensor>& x) {
            return x.size() == 3 ? ops::instance_norm2d(x[0], x[1], x[2], eps)
                                 : ops::instance_norm2d(x[0], Tensor(), Tensor(), eps);
          },
          [eps](const std::vector<Tensor>& x) { return ref_instance_norm(x, eps); }};
}

}  // namespace

GAN_OP_FACTORY(instance_norm2d, instance_norm2d_fns)

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
