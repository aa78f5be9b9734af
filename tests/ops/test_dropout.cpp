// dropout: see core/ops/dropout.cpp. The reference recomputes the Philox mask plainly. The cases
// are in tests/ops/op_table.cpp.
#include <cmath>

#include "kernels/common/philox.h"
#include "tests/ops/op_harness.h"

using namespace gan;
using test::OpParams;

namespace {

constexpr uint64_t kSeed = 42;

// y[i] = x[i] / (1 - p) where element i is kept, 0 where dropped; the mask of draw `stream`.
Tensor ref_dropout(const Tensor& x, double p, uint64_t stream) {
  Tensor y = Tensor::empty(x.shape(), DType::f64);
  uint32_t threshold = static_cast<uint32_t>(p * 16777216.0);  // p in 24-bit steps
  for (int64_t i = 0; i < x.numel(); ++i) {
    uint32_t r = rng::philox_at(kSeed, stream, static_cast<uint64_t>(i)).v[0];
    bool keep = (r >> 8) >= threshold;
    y.data<double>()[i] = keep ? x.data<double>()[i] / (1.0 - p) : 0.0;
  }
  return y;
}

// Drops with probability p; a fresh generator per call gives the same mask every call, so finite
// differences see it too.
test::OpFns dropout_fns(const OpParams& params) {
  const double p = params["p"];
  return {[p](const std::vector<Tensor>& x) {
            Rng g(kSeed);
            return ops::dropout(x[0], p, true, g);
          },
          [p](const std::vector<Tensor>& x) { return ref_dropout(x[0], p, 0); }};
}

}  // namespace

GAN_OP_FACTORY(dropout, dropout_fns)

TEST_CASE("dropout drops close to a fraction p and keeps the mean", "[dropout]") {
  const int64_t n = 1 << 20;
  Tensor x = Tensor::ones(Shape{n});
  for (double p : {0.1, 0.5, 0.8}) {
    Rng g(7);
    std::vector<float> y = ops::dropout(x, p, true, g).to_vector<float>();
    int64_t dropped = 0, wrong_scale = 0;
    double sum = 0;
    const float kept = static_cast<float>(1.0 / (1.0 - p));
    for (float v : y) {
      if (v == 0.0f) ++dropped;
      else if (v != kept) ++wrong_scale;
      sum += v;
    }
    CHECK(wrong_scale == 0);
    // Binomial std of the rate is sqrt(p(1-p)/n) < 5e-4; allow 6 of them.
    CHECK(static_cast<double>(dropped) / n == Approx(p).margin(3e-3));
    CHECK(sum / n == Approx(1.0).margin(1e-2));
  }
}

TEST_CASE("dropout: same seed and stream give the same mask, the next draw differs", "[dropout]") {
  Tensor x = Tensor::ones(Shape{4, 3, 16, 16});
  Rng a(123), b(123);
  std::vector<float> a1 = ops::dropout(x, 0.5, true, a).to_vector<float>();
  std::vector<float> b1 = ops::dropout(x, 0.5, true, b).to_vector<float>();
  std::vector<float> a2 = ops::dropout(x, 0.5, true, a).to_vector<float>();
  CHECK(a1 == b1);
  CHECK(a1 != a2);
  CHECK(a.stream() == 2);
  Rng c(124);
  CHECK(ops::dropout(x, 0.5, true, c).to_vector<float>() != a1);
}

TEST_CASE("dropout is the identity in eval mode and for p = 0, p = 1 gives zeros", "[dropout]") {
  Rng g(1), gin(1);
  Tensor x = Tensor::uniform(Shape{2, 3, 7, 5}, gin, -1, 1, DType::f64);
  x.set_requires_grad(true);
  for (auto [p, training] : {std::pair{0.5, false}, std::pair{0.0, true}}) {
    Tensor y = ops::dropout(x, p, training, g);
    CHECK(y.to_vector<double>() == x.to_vector<double>());
    x.zero_grad();
    ops::sum(y).backward();
    for (double v : x.grad().to_vector<double>()) CHECK(v == 1.0);
  }
  CHECK(g.stream() == 0);  // the identity draws nothing

  Tensor y = ops::dropout(x, 1.0, true, g);
  x.zero_grad();
  ops::sum(y).backward();
  for (double v : y.to_vector<double>()) CHECK(v == 0.0);
  for (double v : x.grad().to_vector<double>()) CHECK(v == 0.0);
}

TEST_CASE("dropout rejects p outside [0, 1]", "[dropout]") {
  Rng g(1);
  Tensor x = Tensor::ones(Shape{3});
  CHECK_THROWS_WITH(ops::dropout(x, 1.5, true, g), Catch::Contains("dropout"));
  CHECK_THROWS_WITH(ops::dropout(x, -0.1, true, g), Catch::Contains("dropout"));
}
