#include "train/cyclegan_step.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "core/autograd.h"
#include "core/device.h"
#include "core/ops.h"
#include "core/profile.h"
#include "train/gan_update.h"
#include "train/phase_clock.h"

namespace gan::train {

GanLoss parse_gan_loss(const std::string& s) {
  if (s == "bce") return GanLoss::bce;
  if (s == "lsgan") return GanLoss::lsgan;
  throw std::invalid_argument("--gan-loss must be bce or lsgan, got '" + s + "'");
}

const char* gan_loss_name(GanLoss l) { return l == GanLoss::bce ? "bce" : "lsgan"; }

StructureLoss parse_structure_loss(const std::string& s) {
  if (s == "none") return StructureLoss::none;
  if (s == "ssim") return StructureLoss::ssim;
  if (s == "ngc") return StructureLoss::ngc;
  if (s == "ngf") return StructureLoss::ngf;
  throw std::invalid_argument("--structure-loss must be none, ssim, ngc or ngf, got '" + s + "'");
}

const char* structure_loss_name(StructureLoss l) {
  switch (l) {
    case StructureLoss::ssim: return "ssim";
    case StructureLoss::ngc: return "ngc";
    case StructureLoss::ngf: return "ngf";
    default: return "none";
  }
}

const char* StepLosses::csv_header() {
  return "adv_AB,adv_BA,cycle_A,cycle_B,identity_A,identity_B,loss_G,D_A,D_B";
}

std::string StepLosses::csv_row() const {
  char buf[320];
  std::snprintf(buf, sizeof buf, "%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g", adv_AB, adv_BA,
                cycle_A, cycle_B, identity_A, identity_B, loss_G, D_A, D_B);
  return buf;
}

const char* StepLosses::structure_csv_header() { return "structure_A,structure_B"; }

std::string StepLosses::structure_csv_row() const {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g,%.6g", structure_A, structure_B);
  return buf;
}

CycleGANStep::CycleGANStep(models::CycleGAN& nets, const StepOptions& options,
                           nn::AdamOptions adam, int pool_size, uint64_t pool_seed)
    : nets_(nets),
      options_(options),
      opt_G_(nets.generator_parameters(), adam),
      opt_D_(nets.discriminator_parameters(), adam),
      pool_A_(pool_size),
      pool_B_(pool_size),
      pool_rng_(pool_seed) {}

void CycleGANStep::set_lr(double lr) {
  opt_G_.set_lr(lr);
  opt_D_.set_lr(lr);
}

Tensor CycleGANStep::adv(const Tensor& logits, double target) const {
  return options_.gan_loss == GanLoss::bce ? ops::bce_with_logits(logits, target)
                                           : ops::mse_loss(logits, target);
}

void CycleGANStep::add_structure_terms(StepLossTensors& L, const Tensor& a, const Tensor& b,
                                       const Tensor& fake_A, const Tensor& fake_B,
                                       const Tensor& cyc_A, const Tensor& cyc_B,
                                       const Tensor& id_A, const Tensor& id_B) const {
  auto one_minus = [](const Tensor& similarity) { return ops::affine(similarity, -1.0, 1.0); };
  if (options_.structure_loss == StructureLoss::ngc) {
    L.structure_A = one_minus(ops::gradient_correlation(a, fake_B));
    L.structure_B = one_minus(ops::gradient_correlation(b, fake_A));
    return;
  }
  if (options_.structure_loss == StructureLoss::ngf) {
    L.structure_A = one_minus(ops::gradient_alignment(a, fake_B));
    L.structure_B = one_minus(ops::gradient_alignment(b, fake_A));
    return;
  }
  // The paper's 11x11 window; the smaller 7x7 one on planes too small for it.
  const int window = std::min(a.size(2), a.size(3)) >= 11 ? 11 : 7;
  L.structure_A = one_minus(ops::ssim(cyc_A, a, window));
  L.structure_B = one_minus(ops::ssim(cyc_B, b, window));
  if (id_A.defined()) {
    const double lam_id = options_.lambda_identity;
    L.structure_A = ops::add(L.structure_A, ops::mul(one_minus(ops::ssim(id_A, a, window)), lam_id));
    L.structure_B = ops::add(L.structure_B, ops::mul(one_minus(ops::ssim(id_B, b, window)), lam_id));
  }
}

StepLossTensors CycleGANStep::forward(const Tensor& a, const Tensor& b) {
  const double lam = options_.lambda_cycle, lam_id = options_.lambda_identity * lam;
  StepTimings& T = timings_;
  T.forward_G = T.forward_D = T.losses = 0;
  ops::DropoutShardGuard share(ops::DropoutShard{share_rank_, share_ranks_, a.size(0)});
  PhaseClock clock(timing_);
  auto G_AB = [&](const Tensor& x) { Tensor y = (*nets_.G_AB)(x); clock.charge(T.forward_G); return y; };
  auto G_BA = [&](const Tensor& x) { Tensor y = (*nets_.G_BA)(x); clock.charge(T.forward_G); return y; };
  auto D_A = [&](const Tensor& x) { Tensor y = (*nets_.D_A)(x); clock.charge(T.forward_D); return y; };
  auto D_B = [&](const Tensor& x) { Tensor y = (*nets_.D_B)(x); clock.charge(T.forward_D); return y; };

  // Each generator sees two real batches: one to translate, one for the identity loss. Both go
  // through it as one batch ([a; b] and [b; a]): every layer here works per sample (instance
  // norm, not batch norm), so the outputs are those of two passes, while each weight gradient
  // comes from one GEMM over both instead of two GEMMs and a sum (docs/performance.md).
  const bool identity = lam_id > 0;
  const int64_t n = a.size(0);
  Tensor fake_B, fake_A, id_A, id_B;
  if (identity) {
    Tensor ab = G_AB(ops::concat({a, b}, 0)), ba = G_BA(ops::concat({b, a}, 0));
    fake_B = ab.slice_batch(0, n);
    id_B = ab.slice_batch(n, n);
    fake_A = ba.slice_batch(0, n);
    id_A = ba.slice_batch(n, n);
  } else {
    fake_B = G_AB(a);
    fake_A = G_BA(b);
  }
  Tensor cyc_A = G_BA(fake_B), cyc_B = G_AB(fake_A);
  Tensor pred_fake_B = D_B(fake_B), pred_fake_A = D_A(fake_A);

  StepLossTensors L;
  L.adv_AB = adv(pred_fake_B, 1.0);
  L.adv_BA = adv(pred_fake_A, 1.0);
  L.cycle_A = ops::l1_loss(cyc_A, a);
  L.cycle_B = ops::l1_loss(cyc_B, b);
  Tensor loss_G = ops::add(ops::add(L.adv_AB, L.adv_BA),
                           ops::mul(ops::add(L.cycle_A, L.cycle_B), lam));
  clock.charge(T.losses);
  if (identity) {
    L.identity_A = ops::l1_loss(id_A, a);
    L.identity_B = ops::l1_loss(id_B, b);
    loss_G = ops::add(loss_G, ops::mul(ops::add(L.identity_A, L.identity_B), lam_id));
    clock.charge(T.losses);
  }
  if (options_.structure_on()) {
    add_structure_terms(L, a, b, fake_A, fake_B, cyc_A, cyc_B, id_A, id_B);
    loss_G = ops::add(loss_G, ops::mul(ops::add(L.structure_A, L.structure_B),
                                       options_.lambda_structure));
    clock.charge(T.losses);
  }
  L.loss_G = loss_G;

  // Discriminators: real images, and the fakes (the same predictions, or pool samples).
  Tensor d_fake_A = pred_fake_A, d_fake_B = pred_fake_B;
  if (pool_A_.capacity() > 0) {
    d_fake_A = D_A(pool_A_.query(fake_A.detach(), pool_rng_));
    d_fake_B = D_B(pool_B_.query(fake_B.detach(), pool_rng_));
  }
  Tensor real_A = D_A(a), real_B = D_B(b);
  L.D_A = ops::mul(ops::add(adv(real_A, 1.0), adv(d_fake_A, 0.0)), 0.5);
  L.D_B = ops::mul(ops::add(adv(real_B, 1.0), adv(d_fake_B, 0.0)), 0.5);
  L.loss_D = ops::add(L.D_A, L.D_B);
  clock.charge(T.losses);
  return L;
}

StepLosses CycleGANStep::step(const Tensor& a, const Tensor& b) {
  StepLossTensors L = forward(a, b);
  apply_gan_update(L.loss_G, L.loss_D, opt_G_, opt_D_, before_update_, timing_, timings_);

  StepLosses r;
  r.adv_AB = L.adv_AB.item();
  r.adv_BA = L.adv_BA.item();
  r.cycle_A = L.cycle_A.item();
  r.cycle_B = L.cycle_B.item();
  if (L.identity_A.defined()) {
    r.identity_A = L.identity_A.item();
    r.identity_B = L.identity_B.item();
  }
  if (L.structure_A.defined()) {
    r.structure_A = L.structure_A.item();
    r.structure_B = L.structure_B.item();
  }
  r.loss_G = L.loss_G.item();
  r.D_A = L.D_A.item();
  r.D_B = L.D_B.item();
  return r;
}

}  // namespace gan::train
