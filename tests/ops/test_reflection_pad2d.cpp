// reflection_pad2d: see core/ops/reflection_pad2d.cpp. The cases are in tests/ops/op_table.cpp.
#include "tests/ops/op_harness.h"

using namespace gan;
using test::OpParams;

namespace {

// Mirror index without repeating the edge: -1 -> 1, n -> n - 2.
int64_t mirror(int64_t i, int64_t n) {
  if (i < 0) return -i;
  if (i > n - 1) return (n - 1) - (i - (n - 1));
  return i;
}

Tensor ref_pad(const Tensor& x, int pad) {
  int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  int64_t Ho = H + 2 * pad, Wo = W + 2 * pad;
  Tensor y = Tensor::empty(Shape{N, C, Ho, Wo}, DType::f64);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t h = 0; h < Ho; ++h)
        for (int64_t w = 0; w < Wo; ++w)
          y.data<double>()[((n * C + c) * Ho + h) * Wo + w] =
              x.data<double>()[((n * C + c) * H + mirror(h - pad, H)) * W + mirror(w - pad, W)];
  return y;
}

test::OpFns reflection_pad2d_fns(const OpParams& p) {
  const int pad = p.integer("pad");
  return {[pad](const std::vector<Tensor>& x) { return ops::reflection_pad2d(x[0], pad); },
          [pad](const std::vector<Tensor>& x) { return ref_pad(x[0], pad); }};
}

}  // namespace

GAN_OP_FACTORY(reflection_pad2d, reflection_pad2d_fns)

TEST_CASE("reflection_pad2d matches PyTorch's documented example", "[reflection_pad2d]") {
  // torch.nn.ReflectionPad2d(2) applied to arange(9).reshape(1, 1, 3, 3).
  std::vector<float> in{0, 1, 2, 3, 4, 5, 6, 7, 8};
  std::vector<float> expected{8, 7, 6, 7, 8, 7, 6,  //
                              5, 4, 3, 4, 5, 4, 3,  //
                              2, 1, 0, 1, 2, 1, 0,  //
                              5, 4, 3, 4, 5, 4, 3,  //
                              8, 7, 6, 7, 8, 7, 6,  //
                              5, 4, 3, 4, 5, 4, 3,  //
                              2, 1, 0, 1, 2, 1, 0};
  Tensor y = ops::reflection_pad2d(Tensor::from_vector(in, Shape{1, 1, 3, 3}), 2);
  REQUIRE(y.shape() == Shape{1, 1, 7, 7});
  CHECK(y.to_vector<float>() == expected);
}

TEST_CASE("reflection_pad2d backward counts every mirrored read", "[reflection_pad2d]") {
  // Row of 3 padded by 2: c b a b c b a -> a read twice, b three times, c twice.
  Tensor x = Tensor::zeros(Shape{1, 1, 3, 3}, DType::f64);
  x.set_requires_grad(true);
  ops::sum(ops::reflection_pad2d(x, 2)).backward();
  std::vector<double> per_row{2, 3, 2};
  std::vector<double> expected;
  for (double r : per_row)
    for (double c : per_row) expected.push_back(r * c);
  CHECK(x.grad().to_vector<double>() == expected);
}

TEST_CASE("reflection_pad2d rejects pad >= H or W and non-4-d input", "[reflection_pad2d]") {
  CHECK_THROWS_WITH(ops::reflection_pad2d(Tensor::zeros(Shape{1, 1, 7, 3}), 3),
                    Catch::Contains("reflection_pad2d") && Catch::Contains("[1, 1, 7, 3]"));
  CHECK_THROWS_WITH(ops::reflection_pad2d(Tensor::zeros(Shape{1, 1, 3, 7}), 3),
                    Catch::Contains("reflection_pad2d"));
  CHECK_THROWS_WITH(ops::reflection_pad2d(Tensor::zeros(Shape{1, 7, 7}), 1),
                    Catch::Contains("reflection_pad2d"));
  CHECK_NOTHROW(ops::reflection_pad2d(Tensor::zeros(Shape{1, 1, 4, 4}), 3));
}
