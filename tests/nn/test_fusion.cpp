// Sequential's fusion of InstanceNorm2d + ReLU / LeakyReLU (and across a Dropout) into
// instance_norm2d_act: the same outputs and gradients as running the modules one by one.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <string>

#include "core/ops.h"
#include "nn/layers.h"

using namespace gan;

namespace {

// Runs the children of s one by one (no fusion), as the unfused reference.
Tensor run_unfused(nn::Sequential& s, const Tensor& x) {
  Tensor y = x;
  for (size_t i = 0; i < s.size(); ++i) y = s[i].forward(y);
  return y;
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  auto va = a.to_vector<double>(), vb = b.to_vector<double>();
  REQUIRE(va.size() == vb.size());
  double m = 0;
  for (size_t i = 0; i < va.size(); ++i) m = std::max(m, std::abs(va[i] - vb[i]));
  return m;
}

}  // namespace

TEST_CASE("Sequential fuses instance norm and activation without changing results", "[nn][fusion]") {
  for (int variant = 0; variant < 3; ++variant) {
    INFO("variant " << variant << " (0: IN+ReLU, 1: IN+LeakyReLU affine, 2: IN+Dropout+ReLU)");
    auto rng = std::make_shared<Generator>(11);
    nn::Sequential s;
    s.emplace<nn::Conv2d>(3, 6, 3, 1, 1);
    s.emplace<nn::InstanceNorm2d>(6, /*affine=*/variant == 1);
    if (variant == 2) s.emplace<nn::Dropout>(0.5, rng);
    if (variant == 1) s.emplace<nn::LeakyReLU>(0.2);
    else s.emplace<nn::ReLU>();
    Generator g(2);
    nn::init_parameters(s, g, 0.3);
    s.train(true);
    Tensor x = Tensor::uniform(Shape{2, 3, 9, 7}, g, -1, 1);
    Tensor gy = Tensor::uniform(Shape{2, 6, 9, 7}, g, -1, 1);

    auto run = [&](bool fused) {
      *rng = Generator(11);  // the same dropout mask both times
      for (auto& p : s.parameters()) p.zero_grad();
      Tensor y = fused ? s.forward(x) : run_unfused(s, x);
      ops::sum(ops::mul(y, gy)).backward();
      std::vector<Tensor> out{y};
      for (auto& p : s.parameters()) out.push_back(p.grad());
      return out;
    };
    std::vector<Tensor> fused = run(true), plain = run(false);
    REQUIRE(fused.size() == plain.size());
    for (size_t i = 0; i < fused.size(); ++i) {
      INFO("result " << i << " (output, then parameter gradients)");
      CHECK(max_abs_diff(fused[i], plain[i]) < 1e-5);
    }
    // The fused graph has no separate activation node.
    Tensor y = s.forward(x);
    CHECK(std::string(y.grad_fn()->name) == (variant == 2 ? "dropout" : "instance_norm2d_act"));
  }
}
