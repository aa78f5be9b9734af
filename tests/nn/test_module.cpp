// Module tree: names, order, parameter count, train/eval propagation, seeded init.
#include <catch2/catch.hpp>
#include <cmath>

#include "core/ops.h"
#include "nn/layers.h"

using namespace gan;
using namespace gan::nn;

namespace {
std::shared_ptr<Sequential> small_net() {
  auto net = std::make_shared<Sequential>();
  net->emplace<Conv2d>(1, 3, 3, 1, 1, false);
  net->emplace<InstanceNorm2d>(3);
  auto inner = net->add(std::make_shared<Sequential>());
  inner->emplace<ConvTranspose2d>(3, 2, 4, 2, 1);
  inner->emplace<Dropout>(0.5, std::make_shared<Rng>(1));
  net->emplace<InstanceNorm2d>(2, true);
  return net;
}
}  // namespace

TEST_CASE("Module names parameters as PyTorch does, in registration order", "[nn]") {
  auto net = small_net();
  auto named = net->named_parameters();
  REQUIRE(named.size() == 5);
  CHECK(named[0].first == "0.weight");
  CHECK(named[0].second.shape() == Shape{3, 1, 3, 3});
  CHECK(named[1].first == "2.0.weight");
  CHECK(named[1].second.shape() == Shape{3, 2, 4, 4});
  CHECK(named[2].first == "2.0.bias");
  CHECK(named[3].first == "3.weight");
  CHECK(named[4].first == "3.bias");
  CHECK(net->parameter_count() == 3 * 9 + 3 * 2 * 16 + 2 + 2 + 2);
  for (auto& p : net->parameters()) CHECK(p.requires_grad());
}

TEST_CASE("train/eval propagates to every descendant", "[nn]") {
  auto net = small_net();
  net->eval();
  auto& inner = static_cast<Sequential&>((*net)[2]);
  CHECK_FALSE(inner[1].is_training());
  net->train();
  CHECK(inner[1].is_training());
}

TEST_CASE("init draws conv weights N(0, 0.02), zero biases, reproducibly from the seed", "[nn]") {
  ConvTranspose2d a(16, 32, 4, 2, 1), b(16, 32, 4, 2, 1);
  Rng g1(7), g2(7);
  init_parameters(a, g1);
  init_parameters(b, g2);
  auto w = a.weight().to_vector<float>();
  double s = 0, s2 = 0;
  for (float v : w) s += v, s2 += double(v) * v;
  double mean = s / w.size(), sd = std::sqrt(s2 / w.size() - mean * mean);
  CHECK(std::abs(mean) < 0.002);
  CHECK(sd == Approx(0.02).epsilon(0.05));
  CHECK(w == b.weight().to_vector<float>());
  for (float v : a.bias().to_vector<float>()) CHECK(v == 0.f);
  Rng g3(8);
  init_parameters(b, g3);
  CHECK(w != b.weight().to_vector<float>());
}

TEST_CASE("Dropout is the identity in eval mode and drops about p when training", "[nn]") {
  Dropout d(0.5, std::make_shared<Rng>(3));
  Tensor x = Tensor::ones({1, 4, 16, 16});
  auto y = d(x).to_vector<float>();
  int zeros = 0;
  for (float v : y) {
    CHECK((v == 0.f || v == 2.f));
    zeros += v == 0.f;
  }
  CHECK(zeros > 1024 * 0.4);
  CHECK(zeros < 1024 * 0.6);
  d.eval();
  CHECK(d(x).to_vector<float>() == x.to_vector<float>());
}

TEST_CASE("Sequential chains its layers", "[nn]") {
  Sequential s;
  s.emplace<ReflectionPad2d>(1);
  s.emplace<Conv2d>(1, 2, 3, 2, 0);
  s.emplace<LeakyReLU>(0.2);
  Rng g(0);
  init_parameters(s, g);
  Tensor x = Tensor::uniform({2, 1, 8, 8}, g, -1, 1);
  Tensor y = s(x);
  CHECK(y.shape() == Shape{2, 2, 4, 4});
  Tensor ref = ops::leaky_relu(
      ops::conv2d(ops::reflection_pad2d(x, 1), s.named_parameters()[0].second, s.named_parameters()[1].second, 2, 0),
      0.2);
  CHECK(y.to_vector<float>() == ref.to_vector<float>());
}
