// add, sub, mul, div (same shape, scalar, per-channel) and affine: see core/ops/binary.cpp.
#include "tests/ops/op_harness.h"

using namespace gan;
using test::InputSpec;
using test::OpCase;

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

std::vector<OpCase> cases_for(Tensor (*op)(const Tensor&, const Tensor&), double (*f)(double, double),
                              bool b_nonzero) {
  InputSpec b_spec;
  if (b_nonzero) { b_spec.lo = 0.5; b_spec.hi = 2.0; }  // keep division well conditioned
  auto make = [&](std::string name, Shape sa, Shape sb) {
    InputSpec a{sa};
    InputSpec b = b_spec;
    b.shape = sb;
    return OpCase{name, {a, b}, [op](const std::vector<Tensor>& x) { return op(x[0], x[1]); },
                  [f](const std::vector<Tensor>& x) { return ref_binary(x, f); }};
  };
  return {make("same shape 2x3x7x5", {2, 3, 7, 5}, {2, 3, 7, 5}),
          make("scalar b over 2x3x13x11", {2, 3, 13, 11}, {}),
          make("per-channel [C] over 2x3x7x5", {2, 3, 7, 5}, {3}),
          make("per-channel [1,C,1,1] over 3x5x4x3", {3, 5, 4, 3}, {1, 5, 1, 1}),
          make("same shape 1-d 37", {37}, {37})};
}

std::vector<OpCase> add_cases() { return cases_for(ops::add, [](double a, double b) { return a + b; }, false); }
std::vector<OpCase> sub_cases() { return cases_for(ops::sub, [](double a, double b) { return a - b; }, false); }
std::vector<OpCase> mul_cases() { return cases_for(ops::mul, [](double a, double b) { return a * b; }, false); }
std::vector<OpCase> div_cases() { return cases_for(ops::div, [](double a, double b) { return a / b; }, true); }

std::vector<OpCase> affine_cases() {
  return {OpCase{"y = -1.5 x + 0.25 on 2x3x7x5",
                 {InputSpec{{2, 3, 7, 5}}},
                 [](const std::vector<Tensor>& x) { return ops::affine(x[0], -1.5, 0.25); },
                 [](const std::vector<Tensor>& x) {
                   Tensor y = Tensor::empty(x[0].shape(), DType::f64);
                   for (int64_t i = 0; i < y.numel(); ++i)
                     y.data<double>()[i] = -1.5 * x[0].data<double>()[i] + 0.25;
                   return y;
                 }}};
}

}  // namespace

GAN_OP_CASES(add, add_cases)
GAN_OP_CASES(sub, sub_cases)
GAN_OP_CASES(mul, mul_cases)
GAN_OP_CASES(div, div_cases)
GAN_OP_CASES(affine, affine_cases)

TEST_CASE("binary ops reject shapes that do not broadcast, naming op and shapes", "[add]") {
  Tensor a = Tensor::zeros({2, 3, 4, 4});
  Tensor b = Tensor::zeros({4});
  REQUIRE_THROWS_WITH(ops::add(a, b), Catch::Contains("add") && Catch::Contains("[2, 3, 4, 4]") &&
                                          Catch::Contains("[4]"));
  REQUIRE_THROWS_WITH(ops::mul(a, Tensor::zeros({2, 3, 4, 4}, DType::f64)),
                      Catch::Contains("mul") && Catch::Contains("dtype"));
}
