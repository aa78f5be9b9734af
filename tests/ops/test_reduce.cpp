// sum and mean: see core/ops/reduce.cpp.
#include "tests/ops/op_harness.h"

using namespace gan;
using test::InputSpec;
using test::OpCase;

namespace {

Tensor ref_sum(const Tensor& x, double scale) {
  double s = 0;
  for (int64_t i = 0; i < x.numel(); ++i) s += x.data<double>()[i];
  return Tensor::scalar(s * scale, DType::f64);
}

std::vector<OpCase> sum_cases() {
  std::vector<OpCase> r;
  for (Shape s : {Shape{2, 3, 13, 11}, Shape{1, 1, 7, 5}, Shape{5000}})
    r.push_back({"sum of " + s.str(), {InputSpec{s}},
                 [](const std::vector<Tensor>& x) { return ops::sum(x[0]); },
                 [](const std::vector<Tensor>& x) { return ref_sum(x[0], 1.0); }});
  return r;
}
std::vector<OpCase> mean_cases() {
  std::vector<OpCase> r;
  for (Shape s : {Shape{2, 3, 13, 11}, Shape{3, 2, 5, 7}})
    r.push_back({"mean of " + s.str(), {InputSpec{s}},
                 [](const std::vector<Tensor>& x) { return ops::mean(x[0]); },
                 [](const std::vector<Tensor>& x) { return ref_sum(x[0], 1.0 / x[0].numel()); }});
  return r;
}

}  // namespace

GAN_OP_CASES(sum, sum_cases)
GAN_OP_CASES(mean, mean_cases)
