// The training step: each loss term recomputed independently (the structure terms too), gradients
// reach only the networks each loss asks for, the single-forward D gradient equals a fresh D-only
// graph's, a structure term of weight 0 leaves the step bitwise unchanged, and a tiny run learns a
// trivial mapping.
#include <catch2/catch.hpp>
#include <cmath>

#include "core/autograd.h"
#include "core/ops.h"
#include "tests/train/losses_by_hand.h"
#include "tests/train/step_gradient_checks.h"
#include "tests/train/tiny_model.h"
#include "train/cyclegan_step.h"

using namespace gan;
using namespace gan::train;
using gan::testing::bce_by_hand;
using gan::testing::check_losses_reach_only_their_networks;
using gan::testing::require_same_gradients;
using gan::testing::l1_by_hand;
using gan::testing::tiny_model;

namespace {


}  // namespace

TEST_CASE("step: every loss term equals its independent computation", "[train]") {
  models::CycleGAN nets(tiny_model(), 11);
  nets.train(false);  // no dropout, so the recomputation sees the same networks
  CycleGANStep step(nets, {}, {}, 0, 1);
  Rng g(2);
  Tensor a = Tensor::uniform({1, 1, 32, 32}, g, -1, 1), b = Tensor::uniform({1, 1, 32, 32}, g, -1, 1);
  StepLossTensors L = step.forward(a, b);

  NoGradGuard ng;
  auto& G = *nets.G_AB;
  auto& F = *nets.G_BA;
  Tensor fb = G(a), fa = F(b);
  double adv_ab = bce_by_hand((*nets.D_B)(fb), 1), adv_ba = bce_by_hand((*nets.D_A)(fa), 1);
  double cyc_a = l1_by_hand(F(fb), a), cyc_b = l1_by_hand(G(fa), b);
  double id_a = l1_by_hand(F(a), a), id_b = l1_by_hand(G(b), b);
  CHECK(L.adv_AB.item() == Approx(adv_ab).epsilon(1e-5));
  CHECK(L.adv_BA.item() == Approx(adv_ba).epsilon(1e-5));
  CHECK(L.cycle_A.item() == Approx(cyc_a).epsilon(1e-5));
  CHECK(L.cycle_B.item() == Approx(cyc_b).epsilon(1e-5));
  CHECK(L.identity_A.item() == Approx(id_a).epsilon(1e-5));
  CHECK(L.identity_B.item() == Approx(id_b).epsilon(1e-5));
  CHECK(L.loss_G.item() ==
        Approx(adv_ab + adv_ba + 10 * (cyc_a + cyc_b) + 5 * (id_a + id_b)).epsilon(1e-5));
  double d_a = 0.5 * (bce_by_hand((*nets.D_A)(a), 1) + bce_by_hand((*nets.D_A)(fa), 0));
  double d_b = 0.5 * (bce_by_hand((*nets.D_B)(b), 1) + bce_by_hand((*nets.D_B)(fb), 0));
  CHECK(L.D_A.item() == Approx(d_a).epsilon(1e-5));
  CHECK(L.D_B.item() == Approx(d_b).epsilon(1e-5));
}

TEST_CASE("step: lsgan terms are mean squared errors to 1 and 0", "[train]") {
  models::CycleGAN nets(tiny_model(), 12);
  nets.train(false);
  StepOptions o;
  o.gan_loss = GanLoss::lsgan;
  CycleGANStep step(nets, o, {}, 0, 1);
  Rng g(3);
  Tensor a = Tensor::uniform({1, 1, 32, 32}, g, -1, 1), b = Tensor::uniform({1, 1, 32, 32}, g, -1, 1);
  StepLossTensors L = step.forward(a, b);
  NoGradGuard ng;
  auto p = (*nets.D_B)((*nets.G_AB)(a)).to_vector<float>();
  double s = 0;
  for (float v : p) s += (v - 1.0) * (v - 1.0);
  CHECK(L.adv_AB.item() == Approx(s / p.size()).epsilon(1e-5));
}

TEST_CASE("step: G loss reaches only generators, D loss only discriminators", "[train]") {
  models::CycleGAN nets(tiny_model(), 13);
  CycleGANStep step(nets, {}, {}, 0, 1);
  Rng g(4);
  Tensor a = Tensor::uniform({1, 1, 32, 32}, g, -1, 1), b = Tensor::uniform({1, 1, 32, 32}, g, -1, 1);
  nets.train(false);
  StepLossTensors L = step.forward(a, b);
  const std::vector<std::vector<float>> d_grads = check_losses_reach_only_their_networks(
      L.loss_G, L.loss_D, nets.generator_parameters(), nets.discriminator_parameters());
  // The same D gradient from a fresh graph of the discriminator loss alone on detached fakes.
  Tensor fa, fb;
  {
    NoGradGuard ng;
    fb = (*nets.G_AB)(a);
    fa = (*nets.G_BA)(b);
  }
  auto half = [](Tensor x) { return ops::mul(x, 0.5); };
  Tensor ld = ops::add(
      half(ops::add(ops::bce_with_logits((*nets.D_A)(a), 1.0), ops::bce_with_logits((*nets.D_A)(fa), 0.0))),
      half(ops::add(ops::bce_with_logits((*nets.D_B)(b), 1.0), ops::bce_with_logits((*nets.D_B)(fb), 0.0))));
  gan::backward(ld);
  require_same_gradients(nets.discriminator_parameters(), d_grads);
}

TEST_CASE("step: with a pool, D sees pooled detached fakes and still trains", "[train]") {
  models::CycleGAN nets(tiny_model(), 14);
  CycleGANStep step(nets, {}, {}, 3, 1);
  Rng g(5);
  for (int i = 0; i < 5; ++i) {
    Tensor a = Tensor::uniform({1, 1, 32, 32}, g, -1, 1), b = Tensor::uniform({1, 1, 32, 32}, g, -1, 1);
    StepLosses l = step.step(a, b);
    CHECK(std::isfinite(l.loss_G));
    CHECK(std::isfinite(l.D_A));
  }
  CHECK(step.pool_A().size() == 3);
  CHECK(step.pool_B().size() == 3);
  CHECK(step.opt_G().step_count() == 5);
  CHECK(step.opt_D().step_count() == 5);
}

namespace {

// Loss terms and the generators' gradients of loss_G for one forward of a step with options o.
struct StepResult {
  StepLossTensors L;
  std::vector<std::vector<float>> generator_grads;
};

StepResult run_step_graph(models::CycleGAN& nets, const StepOptions& o, const Tensor& a,
                          const Tensor& b) {
  CycleGANStep step(nets, o, {}, 0, 1);
  StepResult r{step.forward(a, b), {}};
  for (auto& p : nets.generator_parameters()) p.zero_grad();
  gan::backward(r.L.loss_G, {nets.generator_parameters(), true});
  for (auto& p : nets.generator_parameters()) {
    r.generator_grads.push_back(p.grad().to_vector<float>());
    p.zero_grad();
  }
  return r;
}

// The largest |gradient| of a network's parameters after backward of `loss` alone.
double max_abs_grad(nn::Module& net, const Tensor& loss) {
  for (auto& p : net.parameters()) p.zero_grad();
  gan::backward(loss, {net.parameters(), true});
  double m = 0;
  for (auto& p : net.parameters())
    if (p.grad().defined())
      for (float v : p.grad().to_vector<float>()) m = std::max(m, std::abs(double(v)));
  for (auto& p : net.parameters()) p.zero_grad();
  return m;
}

}  // namespace

TEST_CASE("step: structure loss names", "[train]") {
  for (StructureLoss l :
       {StructureLoss::none, StructureLoss::ssim, StructureLoss::ngc, StructureLoss::ngf})
    CHECK(parse_structure_loss(structure_loss_name(l)) == l);
  CHECK(std::string(structure_loss_name(StructureLoss::ngf)) == "ngf");
  CHECK_THROWS_WITH(parse_structure_loss("sssim"),
                    Catch::Contains("--structure-loss") && Catch::Contains("'sssim'"));
}

TEST_CASE("step: the ssim structure terms enter loss_G as computed separately", "[train]") {
  models::CycleGAN nets(tiny_model(), 15);
  nets.train(false);
  StepOptions o;
  o.structure_loss = StructureLoss::ssim;
  o.lambda_structure = 2.0;
  CycleGANStep step(nets, o, {}, 0, 1);
  Rng g(6);
  Tensor a = Tensor::uniform({2, 1, 32, 32}, g, -1, 1), b = Tensor::uniform({2, 1, 32, 32}, g, -1, 1);
  StepLossTensors L = step.forward(a, b);

  NoGradGuard ng;
  auto& G = *nets.G_AB;
  auto& F = *nets.G_BA;
  Tensor fb = G(a), fa = F(b);
  auto dissimilarity = [](const Tensor& x, const Tensor& y) { return 1 - ops::ssim(x, y).item(); };
  // Cycle terms, and the identity ones at lambda_identity = 0.5.
  double s_a = dissimilarity(F(fb), a) + 0.5 * dissimilarity(F(a), a);
  double s_b = dissimilarity(G(fa), b) + 0.5 * dissimilarity(G(b), b);
  REQUIRE(L.structure_A.defined());
  CHECK(L.structure_A.item() == Approx(s_a).epsilon(1e-5));
  CHECK(L.structure_B.item() == Approx(s_b).epsilon(1e-5));
  CHECK(s_a > 0.05);  // the untrained networks are far from the identity: the terms are real
  double rest = L.adv_AB.item() + L.adv_BA.item() + 10 * (L.cycle_A.item() + L.cycle_B.item()) +
                5 * (L.identity_A.item() + L.identity_B.item());
  CHECK(L.loss_G.item() == Approx(rest + 2.0 * (s_a + s_b)).epsilon(1e-5));
}

TEST_CASE("step: the ngc structure terms compare each input with its translation", "[train]") {
  models::CycleGAN nets(tiny_model("resnet"), 16);
  nets.train(false);
  StepOptions o;
  o.structure_loss = StructureLoss::ngc;
  o.lambda_structure = 0.7;
  o.lambda_identity = 0;  // the step without the identity pass
  CycleGANStep step(nets, o, {}, 0, 1);
  Rng g(7);
  Tensor a = Tensor::uniform({1, 1, 32, 32}, g, -1, 1), b = Tensor::uniform({1, 1, 32, 32}, g, -1, 1);
  StepLossTensors L = step.forward(a, b);
  CHECK_FALSE(L.identity_A.defined());

  NoGradGuard ng;
  Tensor fb = (*nets.G_AB)(a), fa = (*nets.G_BA)(b);
  double s_a = 1 - ops::gradient_correlation(a, fb).item();
  double s_b = 1 - ops::gradient_correlation(b, fa).item();
  CHECK(L.structure_A.item() == Approx(s_a).epsilon(1e-5));
  CHECK(L.structure_B.item() == Approx(s_b).epsilon(1e-5));
  double rest = L.adv_AB.item() + L.adv_BA.item() + 10 * (L.cycle_A.item() + L.cycle_B.item());
  CHECK(L.loss_G.item() == Approx(rest + 0.7 * (s_a + s_b)).epsilon(1e-5));
}

TEST_CASE("step: the ngf structure terms compare each input with its translation", "[train]") {
  models::CycleGAN nets(tiny_model(), 19);
  nets.train(false);
  StepOptions o;
  o.structure_loss = StructureLoss::ngf;
  o.lambda_structure = 1.5;
  CycleGANStep step(nets, o, {}, 0, 1);
  Rng g(10);
  Tensor a = Tensor::uniform({2, 1, 32, 32}, g, -1, 1), b = Tensor::uniform({2, 1, 32, 32}, g, -1, 1);
  StepLossTensors L = step.forward(a, b);
  REQUIRE(L.identity_A.defined());  // the identity pass runs, and adds no ngf term

  NoGradGuard ng;
  Tensor fb = (*nets.G_AB)(a), fa = (*nets.G_BA)(b);
  double s_a = 1 - ops::gradient_alignment(a, fb).item();
  double s_b = 1 - ops::gradient_alignment(b, fa).item();
  // The ngc terms of the same pair differ: the step computes NGF, not NGC.
  CHECK(std::abs(s_a - (1 - ops::gradient_correlation(a, fb).item())) > 1e-3);
  REQUIRE(L.structure_A.defined());
  CHECK(L.structure_A.item() == Approx(s_a).epsilon(1e-5));
  CHECK(L.structure_B.item() == Approx(s_b).epsilon(1e-5));
  CHECK(s_a > 0.05);
  CHECK(s_a <= 1);
  double rest = L.adv_AB.item() + L.adv_BA.item() + 10 * (L.cycle_A.item() + L.cycle_B.item()) +
                5 * (L.identity_A.item() + L.identity_B.item());
  CHECK(L.loss_G.item() == Approx(rest + 1.5 * (s_a + s_b)).epsilon(1e-5));
}

TEST_CASE("step: lambda_structure 0 or no structure loss is the plain step, bit for bit", "[train]") {
  models::CycleGAN nets(tiny_model(), 17);
  nets.train(false);
  Rng g(8);
  Tensor a = Tensor::uniform({1, 1, 32, 32}, g, -1, 1), b = Tensor::uniform({1, 1, 32, 32}, g, -1, 1);
  StepResult plain = run_step_graph(nets, {}, a, b);
  for (StructureLoss l : {StructureLoss::ssim, StructureLoss::ngc, StructureLoss::ngf}) {
    INFO(structure_loss_name(l));
    StepOptions off;
    off.structure_loss = l;
    off.lambda_structure = 0;
    StepResult r = run_step_graph(nets, off, a, b);
    CHECK_FALSE(r.L.structure_A.defined());
    CHECK(r.L.loss_G.item() == plain.L.loss_G.item());
    CHECK(r.generator_grads == plain.generator_grads);
    // And the same options with the term on do change the gradients.
    StepOptions on = off;
    on.lambda_structure = 1;
    CHECK(run_step_graph(nets, on, a, b).generator_grads != plain.generator_grads);
  }
}

TEST_CASE("step: structure terms send gradients to both generators, none to discriminators", "[train]") {
  for (StructureLoss l : {StructureLoss::ssim, StructureLoss::ngc, StructureLoss::ngf}) {
    INFO(structure_loss_name(l));
    models::CycleGAN nets(tiny_model(), 18);
    nets.train(false);
    StepOptions o;
    o.structure_loss = l;
    CycleGANStep step(nets, o, {}, 0, 1);
    Rng g(9);
    Tensor a = Tensor::uniform({1, 1, 32, 32}, g, -1, 1), b = Tensor::uniform({1, 1, 32, 32}, g, -1, 1);
    StepLossTensors L = step.forward(a, b);
    Tensor s = ops::add(L.structure_A, L.structure_B);
    CHECK(max_abs_grad(*nets.G_AB, s) > 0);
    CHECK(max_abs_grad(*nets.G_BA, s) > 0);
    CHECK(max_abs_grad(*nets.D_A, s) == 0);
    CHECK(max_abs_grad(*nets.D_B, s) == 0);
    // A whole step logs the terms.
    StepLosses logged = step.step(a, b);
    CHECK(logged.structure_A > 0);
    CHECK(std::isfinite(logged.structure_B));
  }
}

TEST_CASE("tiny run learns B = inverted A: the cycle loss goes down", "[train][slow]") {
  models::CycleGAN nets(tiny_model(), 21);
  nn::AdamOptions fast;
  fast.lr = 1e-3;  // a higher rate than the paper's so a few seconds suffice
  CycleGANStep step(nets, {}, fast, 0, 1);
  Rng data(9);
  double first = 0, last = 0;
  const int steps = 150, window = 20;
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
    Tensor b = ops::neg(a);
    StepLosses l = step.step(a, b);
    double cyc = l.cycle_A + l.cycle_B;
    if (s < window) first += cyc;
    if (s >= steps - window) last += cyc;
  }
  INFO("mean cycle loss first " << first / window << ", last " << last / window);
  CHECK(last < 0.6 * first);
}
