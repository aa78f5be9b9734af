// add, sub, mul, div (same shape, scalar, per-channel) and affine: see core/ops/binary.cpp. The
// cases are in tests/ops/op_table.cpp.
#include "tests/ops/op_harness.h"

using namespace gan;
using test::OpParams;

namespace {

// Naive reference: y[n,c,h,w] = f(a[n,c,h,w], b[bc]) with bc = the broadcast index into b.
Tensor ref_binary(const std::vector<Tensor>& x, double (*f)(double, double)) {
  const Tensor& a = x[0];
  const Tensor& b = x[1];
  Tensor y = Tensor::empty(a.shape(), DType::f64);
  const double* pa = a.data<double>();
  const double* pb = b.data<double>();
  double* py = y.data<double>();
  int64_t n = a.numel();
  for (int64_t i = 0; i < n; ++i) {
    int64_t j;
    if (b.numel() == n) j = i;
    else if (b.numel() == 1) j = 0;
    else j = (i / (a.size(2) * a.size(3))) % a.size(1);  // channel of element i in NCHW
    py[i] = f(pa[i], pb[j]);
  }
  return y;
}

using BinaryFn = Tensor (*)(const Tensor&, const Tensor&);

// x = {a, b}, b broadcast as the table's shapes say; no parameters.
test::OpFns binary_fns(BinaryFn op, double (*f)(double, double)) {
  return {[op](const std::vector<Tensor>& x) { return op(x[0], x[1]); },
          [f](const std::vector<Tensor>& x) { return ref_binary(x, f); }};
}

test::OpFns add_fns(const OpParams&) {
  return binary_fns(ops::add, [](double a, double b) { return a + b; });
}
test::OpFns sub_fns(const OpParams&) {
  return binary_fns(ops::sub, [](double a, double b) { return a - b; });
}
test::OpFns mul_fns(const OpParams&) {
  return binary_fns(ops::mul, [](double a, double b) { return a * b; });
}
test::OpFns div_fns(const OpParams&) {
  return binary_fns(ops::div, [](double a, double b) { return a / b; });
}

// y = scale * x + shift.
test::OpFns affine_fns(const OpParams& p) {
  const double scale = p["scale"], shift = p["shift"];
  return {[=](const std::vector<Tensor>& x) { return ops::affine(x[0], scale, shift); },
          [=](const std::vector<Tensor>& x) {
            Tensor y = Tensor::empty(x[0].shape(), DType::f64);
            for (int64_t i = 0; i < y.numel(); ++i)
              y.data<double>()[i] = scale * x[0].data<double>()[i] + shift;
            return y;
          }};
}

}  // namespace

GAN_OP_FACTORY(add, add_fns)
GAN_OP_FACTORY(sub, sub_fns)
GAN_OP_FACTORY(mul, mul_fns)
GAN_OP_FACTORY(div, div_fns)
GAN_OP_FACTORY(affine, affine_fns)

TEST_CASE("binary ops reject shapes that do not broadcast, naming op and shapes", "[add]") {
  Tensor a = Tensor::zeros({2, 3, 4, 4});
  Tensor b = Tensor::zeros({4});
  REQUIRE_THROWS_WITH(ops::add(a, b), Catch::Contains("add") && Catch::Contains("[2, 3, 4, 4]") &&
                                          Catch::Contains("[4]"));
  REQUIRE_THROWS_WITH(ops::mul(a, Tensor::zeros({2, 3, 4, 4}, DType::f64)),
                      Catch::Contains("mul") && Catch::Contains("dtype"));
}
