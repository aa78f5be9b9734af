// InstanceNormAct (instance_norm2d_act) against the unfused InstanceNorm2d + ReLU / LeakyReLU it
// replaces in the models, also with a Dropout between the two: the same outputs, gradients and
// parameter names.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <string>

#include "core/ops.h"
#include "nn/layers.h"

using namespace gan;

namespace {

double max_abs_diff(const Tensor& a, const Tensor& b) {
  auto va = a.to_vector<double>(), vb = b.to_vector<double>();
  REQUIRE(va.size() == vb.size());
  double m = 0;
  for (size_t i = 0; i < va.size(); ++i) m = std::max(m, std::abs(va[i] - vb[i]));
  return m;
}

}  // namespace

TEST_CASE("InstanceNormAct gives the results of instance norm then the activation", "[nn][fusion]") {
  for (int variant = 0; variant < 3; ++variant) {
    INFO("variant " << variant << " (0: IN+ReLU, 1: IN+LeakyReLU affine, 2: IN+Dropout+ReLU)");
    const bool affine = variant == 1;
    const double slope = variant == 1 ? 0.2 : 0.0;
    auto rng = std::make_shared<Rng>(11);
    // The unfused graph, as the reference model describes the layers...
    nn::Sequential plain;
    plain.emplace<nn::Conv2d>(3, 6, 3, 1, 1);
    plain.emplace<nn::InstanceNorm2d>(6, affine);
    if (variant == 2) plain.emplace<nn::Dropout>(0.5, rng);
    if (variant == 1) plain.emplace<nn::LeakyReLU>(slope);
    else plain.emplace<nn::ReLU>();
    // ...and the fused one, as the models build it.
    nn::Sequential fused;
    fused.emplace<nn::Conv2d>(3, 6, 3, 1, 1);
    fused.emplace<nn::InstanceNormAct>(6, slope, affine);
    if (variant == 2) fused.emplace<nn::Dropout>(0.5, rng);
    fused.emplace<nn::Identity>();

    const auto plain_params = plain.named_parameters(), fused_params = fused.named_parameters();
    REQUIRE(plain_params.size() == fused_params.size());
    for (size_t i = 0; i < plain_params.size(); ++i)
      CHECK(plain_params[i].first == fused_params[i].first);  // checkpoint names unchanged

    Rng g(2);
    Tensor x = Tensor::uniform(Shape{2, 3, 9, 7}, g, -1, 1);
    Tensor gy = Tensor::uniform(Shape{2, 6, 9, 7}, g, -1, 1);
    auto run = [&](nn::Sequential& s) {
      Rng init(5);
      nn::init_parameters(s, init, 0.3);
      s.train(true);
      *rng = Rng(11);  // the same dropout mask both times
      for (auto& p : s.parameters()) p.zero_grad();
      Tensor y = s.forward(x);
      ops::sum(ops::mul(y, gy)).backward();
      std::vector<Tensor> out{y};
      for (auto& p : s.parameters()) out.push_back(p.grad());
      return out;
    };
    std::vector<Tensor> fused_results = run(fused), plain_results = run(plain);
    REQUIRE(fused_results.size() == plain_results.size());
    for (size_t i = 0; i < fused_results.size(); ++i) {
      INFO("result " << i << " (output, then parameter gradients)");
      CHECK(max_abs_diff(fused_results[i], plain_results[i]) < 1e-5);
    }
    // The fused graph has no separate activation node.
    Tensor y = fused.forward(x);
    CHECK(std::string(y.grad_fn()->name) == (variant == 2 ? "dropout" : "instance_norm2d_act"));
  }
}
