// concat along each dimension: see core/ops/concat.cpp. The cases are in tests/ops/op_table.cpp.
#include "tests/ops/op_harness.h"

using namespace gan;
using test::OpParams;

namespace {

// Sizes padded to 4 dims with trailing 1s (same row-major layout).
std::array<int64_t, 4> dims4(const Shape& s) {
  std::array<int64_t, 4> d{1, 1, 1, 1};
  for (int i = 0; i < s.ndim; ++i) d[i] = s[i];
  return d;
}

// Naive reference: walk every output coordinate and read it from the input that covers it.
Tensor ref_concat(const std::vector<Tensor>& xs, int dim) {
  Shape out = xs[0].shape();
  out.d[dim] = 0;
  for (const Tensor& x : xs) out.d[dim] += x.size(dim);
  Tensor y = Tensor::empty(out, DType::f64);
  auto o = dims4(out);
  int64_t idx = 0;
  for (int64_t a = 0; a < o[0]; ++a)
    for (int64_t b = 0; b < o[1]; ++b)
      for (int64_t c = 0; c < o[2]; ++c)
        for (int64_t d = 0; d < o[3]; ++d) {
          std::array<int64_t, 4> pos{a, b, c, d};
          size_t k = 0;
          while (pos[dim] >= xs[k].size(dim)) pos[dim] -= xs[k++].size(dim);
          auto s = dims4(xs[k].shape());
          int64_t src = ((pos[0] * s[1] + pos[1]) * s[2] + pos[2]) * s[3] + pos[3];
          y.data<double>()[idx++] = xs[k].data<double>()[src];
        }
  return y;
}

// Concatenates all inputs along dim.
test::OpFns concat_fns(const OpParams& p) {
  const int dim = p.integer("dim");
  return {[dim](const std::vector<Tensor>& x) { return ops::concat(x, dim); },
          [dim](const std::vector<Tensor>& x) { return ref_concat(x, dim); }};
}

}  // namespace

GAN_OP_FACTORY(concat, concat_fns)

TEST_CASE("concat: dim -1 is the last dim", "[concat]") {
  Tensor a = Tensor::ones(Shape{2, 3}), b = Tensor::zeros(Shape{2, 1});
  Tensor y = ops::concat({a, b}, -1);
  REQUIRE(y.shape() == Shape{2, 4});
  CHECK(y.to_vector<float>() == std::vector<float>{1, 1, 1, 0, 1, 1, 1, 0});
}

TEST_CASE("concat: the gradient goes only to inputs that need it", "[concat]") {
  Tensor a = Tensor::ones(Shape{1, 2, 3, 3}, DType::f64), b = Tensor::ones(Shape{1, 1, 3, 3}, DType::f64);
  a.set_requires_grad(true);
  ops::sum(ops::concat({a, b}, 1)).backward();
  CHECK(a.grad().defined());
  CHECK_FALSE(b.grad().defined());
}

TEST_CASE("concat rejects mismatched shapes, naming op and shapes", "[concat]") {
  Tensor a = Tensor::zeros(Shape{2, 3, 4, 4}), b = Tensor::zeros(Shape{2, 3, 5, 4});
  CHECK_THROWS_WITH(ops::concat({a, b}, 1), Catch::Contains("concat") &&
                                                Catch::Contains("[2, 3, 4, 4]") &&
                                                Catch::Contains("[2, 3, 5, 4]"));
  CHECK_NOTHROW(ops::concat({a, b}, 2));
  CHECK_THROWS_WITH(ops::concat({a, a}, 4), Catch::Contains("concat"));
  CHECK_THROWS_WITH(ops::concat({a, Tensor::zeros(Shape{2, 3, 4, 4}, DType::f64)}, 0),
                    Catch::Contains("dtype"));
  CHECK_THROWS(ops::concat({}, 0));
}
