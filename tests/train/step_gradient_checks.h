// Checks shared by the GAN step tests (tests/train/test_cyclegan_step.cpp, test_pix2pix_step.cpp):
// each loss's gradient reaches only its own networks, and the discriminators' gradient equals the
// one of a fresh graph of their loss alone.
#pragma once
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/autograd.h"
#include "core/tensor.h"

namespace gan::testing {

// loss_G's backward into the generators leaves the discriminators without gradient; loss_D's into
// the discriminators then leaves the generators' gradients as they were. Returns the
// discriminators' gradients and zeroes them, for a comparison with a fresh graph.
inline std::vector<std::vector<float>> check_losses_reach_only_their_networks(
    const Tensor& loss_G, const Tensor& loss_D, const std::vector<Tensor>& generator_params,
    const std::vector<Tensor>& discriminator_params) {
  gan::backward(loss_G, {generator_params, true});
  for (const auto& p : discriminator_params) CHECK_FALSE(p.grad().defined());
  std::vector<std::vector<float>> g_grads;
  for (const auto& p : generator_params) {
    REQUIRE(p.grad().defined());
    g_grads.push_back(p.grad().to_vector<float>());
  }
  gan::backward(loss_D, {discriminator_params, false});
  for (size_t i = 0; i < generator_params.size(); ++i)
    CHECK(generator_params[i].grad().to_vector<float>() == g_grads[i]);
  std::vector<std::vector<float>> d_grads;
  for (auto p : discriminator_params) {
    REQUIRE(p.grad().defined());
    d_grads.push_back(p.grad().to_vector<float>());
    p.zero_grad();
  }
  return d_grads;
}

// The parameters' gradients equal `expected` to within 1e-5 of the largest expected entry. The
// step makes its fakes in one batch with other images, a fresh graph alone: float rounding differs
// (~1e-7), and instance norms over the tiny deep planes of a 32-pixel PatchGAN amplify it; a conv
// bias before an instance norm has a zero gradient whose float value is pure rounding. So: close
// relative to the largest gradient entry.
inline void require_same_gradients(const std::vector<Tensor>& params,
                                   const std::vector<std::vector<float>>& expected) {
  double scale = 0;
  for (const auto& v : expected)
    for (float x : v) scale = std::max(scale, std::abs(double(x)));
  REQUIRE(scale > 0);
  for (size_t i = 0; i < params.size(); ++i) {
    auto fresh = params[i].grad().to_vector<float>();
    REQUIRE(fresh.size() == expected[i].size());
    double worst = 0;
    for (size_t k = 0; k < fresh.size(); ++k)
      worst = std::max(worst, std::abs(double(fresh[k]) - expected[i][k]));
    INFO("parameter " << i << ": max |difference| " << worst << ", max |grad| " << scale);
    REQUIRE(worst <= 1e-5 * scale);
  }
}

}  // namespace gan::testing
