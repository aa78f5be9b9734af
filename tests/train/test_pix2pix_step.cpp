// The pix2pix step: each loss term recomputed independently, the conditional discriminator sees
// the channel concat of input and output, gradients reach only the networks each loss asks for,
// and a tiny run learns a fixed paired mapping (its L1 term falls).
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>

#include "core/autograd.h"
#include "core/device.h"
#include "core/ops.h"
#include "tests/ops/op_harness.h"
#include "tests/train/one_thread.h"
#include "tests/train/losses_by_hand.h"
#include "tests/train/step_gradient_checks.h"
#include "tests/train/tiny_model.h"
#include "train/pix2pix_step.h"

using namespace gan;
using namespace gan::train;
using gan::testing::bce_by_hand;
using gan::testing::check_losses_reach_only_their_networks;
using gan::testing::require_same_gradients;
using gan::testing::l1_by_hand;
using gan::testing::tiny_model;

namespace {


// [a, b] along the channels, by hand: sample by sample, a's planes then b's.
Tensor channel_concat_by_hand(const Tensor& a, const Tensor& b) {
  const std::vector<float> x = a.to_vector<float>(), y = b.to_vector<float>();
  const int64_t n = a.size(0), plane = a.numel() / n;
  std::vector<float> out;
  for (int64_t i = 0; i < n; ++i) {
    out.insert(out.end(), x.begin() + i * plane, x.begin() + (i + 1) * plane);
    out.insert(out.end(), y.begin() + i * plane, y.begin() + (i + 1) * plane);
  }
  return Tensor::from_vector(out, {n, a.size(1) + b.size(1), a.size(2), a.size(3)});
}

}  // namespace

TEST_CASE("pix2pix step: every loss term equals its independent computation", "[train][pix2pix]") {
  models::Pix2Pix nets(tiny_model(), 11);
  nets.train(false);  // no dropout, so the recomputation sees the same networks
  Pix2PixStep step(nets, {}, {});
  Rng g(2);
  Tensor a = Tensor::uniform({2, 1, 32, 32}, g, -1, 1), b = Tensor::uniform({2, 1, 32, 32}, g, -1, 1);
  Pix2PixLossTensors L = step.forward(a, b);

  NoGradGuard ng;
  Tensor fake = (*nets.G)(a);
  const double adv = bce_by_hand((*nets.D)(channel_concat_by_hand(a, fake)), 1);
  const double l1 = l1_by_hand(fake, b);
  const double d_real = bce_by_hand((*nets.D)(channel_concat_by_hand(a, b)), 1);
  const double d_fake = bce_by_hand((*nets.D)(channel_concat_by_hand(a, fake)), 0);
  CHECK(L.G_adv.item() == Approx(adv).epsilon(1e-5));
  CHECK(L.G_L1.item() == Approx(l1).epsilon(1e-5));
  CHECK(L.loss_G.item() == Approx(adv + 100 * l1).epsilon(1e-5));
  CHECK(L.D_real.item() == Approx(d_real).epsilon(1e-5));
  CHECK(L.D_fake.item() == Approx(d_fake).epsilon(1e-5));
  CHECK(L.loss_D.item() == Approx(0.5 * (d_real + d_fake)).epsilon(1e-5));
  // The discriminator is conditional: its first convolution reads 2 x channels planes.
  CHECK(nets.D->named_parameters().front().second.shape() == Shape{4, 2, 4, 4});
  CHECK(nets.named_parameters().front().first == "G_AB.down.0.0.weight");
}

TEST_CASE("pix2pix step: lsgan terms and the L1 weight", "[train][pix2pix]") {
  models::Pix2Pix nets(tiny_model(), 12);
  nets.train(false);
  Pix2PixOptions o;
  o.gan_loss = GanLoss::lsgan;
  o.lambda_l1 = 7;
  Pix2PixStep step(nets, o, {});
  Rng g(3);
  Tensor a = Tensor::uniform({1, 1, 32, 32}, g, -1, 1), b = Tensor::uniform({1, 1, 32, 32}, g, -1, 1);
  Pix2PixLossTensors L = step.forward(a, b);
  NoGradGuard ng;
  auto p = (*nets.D)(channel_concat_by_hand(a, (*nets.G)(a))).to_vector<float>();
  double s = 0;
  for (float v : p) s += (v - 1.0) * (v - 1.0);
  CHECK(L.G_adv.item() == Approx(s / p.size()).epsilon(1e-5));
  CHECK(L.loss_G.item() == Approx(L.G_adv.item() + 7 * L.G_L1.item()).epsilon(1e-5));
}

TEST_CASE("pix2pix step: G loss reaches only G, D loss only D", "[train][pix2pix]") {
  models::Pix2Pix nets(tiny_model(), 13);
  Pix2PixStep step(nets, {}, {});
  Rng g(4);
  Tensor a = Tensor::uniform({1, 1, 32, 32}, g, -1, 1), b = Tensor::uniform({1, 1, 32, 32}, g, -1, 1);
  nets.train(false);
  Pix2PixLossTensors L = step.forward(a, b);
  const std::vector<std::vector<float>> d_grads = check_losses_reach_only_their_networks(
      L.loss_G, L.loss_D, nets.generator_parameters(), nets.discriminator_parameters());
  // The same D gradient from a fresh graph of the discriminator loss alone on a detached fake.
  Tensor fake;
  {
    NoGradGuard ng;
    fake = (*nets.G)(a);
  }
  Tensor ld = ops::mul(ops::add(ops::bce_with_logits((*nets.D)(ops::concat({a, b}, 1)), 1.0),
                                ops::bce_with_logits((*nets.D)(ops::concat({a, fake}, 1)), 0.0)),
                       0.5);
  gan::backward(ld);
  require_same_gradients(nets.discriminator_parameters(), d_grads);
}

TEST_CASE("pix2pix step: an update moves both networks, the hook sees G then D", "[train][pix2pix]") {
  models::Pix2Pix nets(tiny_model(), 14);
  Pix2PixStep step(nets, {}, {});
  std::vector<nn::Adam*> seen;
  step.set_before_update([&](nn::Adam& opt) { seen.push_back(&opt); });
  const std::vector<float> g0 = nets.generator_parameters().front().to_vector<float>();
  const std::vector<float> d0 = nets.discriminator_parameters().front().to_vector<float>();
  Rng g(5);
  Tensor a = Tensor::uniform({1, 1, 32, 32}, g, -1, 1), b = Tensor::uniform({1, 1, 32, 32}, g, -1, 1);
  Pix2PixLosses l = step.step(a, b);
  CHECK(l.loss_G == Approx(l.G_adv + 100 * l.G_L1).epsilon(1e-5));
  CHECK(seen == std::vector<nn::Adam*>{&step.opt_G(), &step.opt_D()});
  CHECK(nets.generator_parameters().front().to_vector<float>() != g0);
  CHECK(nets.discriminator_parameters().front().to_vector<float>() != d0);
  CHECK(step.opt_G().step_count() == 1);
  CHECK(std::string(Pix2PixLosses::csv_header()) == "G_adv,G_L1,loss_G,D");
}

// 40 steps: 0.1 s on one core.
TEST_CASE("pix2pix: a tiny run learns B = inverted A: the L1 term falls", "[train][pix2pix]") {
  gan::testing::OneThread one_thread;
  const auto start = std::chrono::steady_clock::now();
  models::ModelConfig c = tiny_model();
  c.ngf = c.ndf = 8;
  models::Pix2Pix nets(c, 21);
  nn::AdamOptions fast;
  fast.lr = 1e-3;  // a higher rate than the paper's so a few seconds suffice
  Pix2PixStep step(nets, {}, fast);
  Rng data(9);
  double first = 0, last = 0;
  const int steps = 40, window = 8;
  for (int s = 0; s < steps; ++s) {
    // A smooth random image: a blob at a random place on a ramp; B is its negative.
    std::vector<float> px(32 * 32);
    double cx = data.uniform() * 32, cy = data.uniform() * 32, r = 4 + data.uniform() * 8;
    for (int y = 0; y < 32; ++y)
      for (int x = 0; x < 32; ++x) {
        double d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
        px[y * 32 + x] = static_cast<float>(std::exp(-d2 / (r * r)) * 1.6 - 0.8 + x / 160.0);
      }
    Tensor a = Tensor::from_vector(px, {1, 1, 32, 32});
    Pix2PixLosses l = step.step(a, ops::neg(a));
    REQUIRE(std::isfinite(l.loss_G));
    REQUIRE(std::isfinite(l.D));
    if (s < window) first += l.G_L1;
    if (s >= steps - window) last += l.G_L1;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  INFO("mean L1 first " << first / window << ", last " << last / window << ", " << seconds << " s");
  CHECK(last < 0.5 * first);
}

// The whole step on the cuda device (the emulator in CI, a GPU elsewhere) against the cpu: the
// channel concat, both networks forward and backward, both Adams. Tolerances as in
// tests/train/test_step_device.cpp: losses to 1e-4, every gradient close, nearly all to rounding.
TEST_CASE("pix2pix step: cuda equals cpu", "[cuda][train][pix2pix]") {
  test::require_cuda_device_or_skip();
  models::Pix2Pix cpu(tiny_model(), 11), dev(tiny_model(), 11);
  dev.to(Device::cuda);
  Pix2PixStep step_cpu(cpu, {}, {}), step_dev(dev, {}, {});
  Rng g(3);
  for (int s = 0; s < 3; ++s) {
    Tensor a = Tensor::uniform({2, 1, 32, 32}, g, -1, 1), b = Tensor::uniform({2, 1, 32, 32}, g, -1, 1);
    const Pix2PixLosses lc = step_cpu.step(a, b);
    const Pix2PixLosses ld = step_dev.step(a.to(Device::cuda), b.to(Device::cuda));
    INFO("step " << s);
    CHECK(ld.G_adv == Approx(lc.G_adv).epsilon(1e-4));
    CHECK(ld.G_L1 == Approx(lc.G_L1).epsilon(1e-4));
    CHECK(ld.D == Approx(lc.D).epsilon(1e-4));
    auto pc = cpu.named_parameters(), pd = dev.named_parameters();
    REQUIRE(pc.size() == pd.size());
    size_t tight = 0;
    for (size_t i = 0; i < pc.size(); ++i) {
      INFO(pc[i].first);
      REQUIRE(pd[i].second.device() == Device::cuda);
      const std::vector<double> x = pd[i].second.grad().to_vector<double>(), y = pc[i].second.grad().to_vector<double>();
      double d = 0, n = 0;
      for (size_t k = 0; k < x.size(); ++k) d += (x[k] - y[k]) * (x[k] - y[k]), n += y[k] * y[k];
      const double err = std::sqrt(d) / (std::sqrt(n) + 5e-2);
      CHECK(err < 0.25);
      tight += err < 1e-3;
    }
    CHECK(tight >= pc.size() * 9 / 10);
    for (size_t i = 0; i < pc.size(); ++i) pd[i].second.copy_from(pc[i].second);  // same start next step
  }
}
