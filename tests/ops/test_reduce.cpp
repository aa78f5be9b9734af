// sum and mean: see core/ops/reduce.cpp. The cases are in tests/ops/op_table.cpp.
#include "tests/ops/op_harness.h"

using namespace gan;
using test::OpParams;

namespace {

Tensor ref_sum(const Tensor& x, double scale) {
  double s = 0;
  for (int64_t i = 0; i < x.numel(); ++i) s += x.data<double>()[i];
  return Tensor::scalar(s * scale, DType::f64);
}

test::OpFns sum_fns(const OpParams&) {
  return {[](const std::vector<Tensor>& x) { return ops::sum(x[0]); },
          [](const std::vector<Tensor>& x) { return ref_sum(x[0], 1.0); }};
}
test::OpFns mean_fns(const OpParams&) {
  return {[](const std::vector<Tensor>& x) { return ops::mean(x[0]); },
          [](const std::vector<Tensor>& x) { return ref_sum(x[0], 1.0 / x[0].numel()); }};
}

}  // namespace

GAN_OP_FACTORY(sum, sum_fns)
GAN_OP_FACTORY(mean, mean_fns)
