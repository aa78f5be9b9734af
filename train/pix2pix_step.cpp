#include "train/pix2pix_step.h"

#include <cstdio>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/profile.h"
#include "train/gan_update.h"
#include "train/phase_clock.h"

namespace gan::train {

const char* Pix2PixLosses::csv_header() { return "G_adv,G_L1,loss_G,D"; }

std::string Pix2PixLosses::csv_row() const {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%.6g,%.6g,%.6g,%.6g", G_adv, G_L1, loss_G, D);
  return buf;
}

Pix2PixStep::Pix2PixStep(models::Pix2Pix& nets, const Pix2PixOptions& options, nn::AdamOptions adam)
    : nets_(nets),
      options_(options),
      opt_G_(nets.generator_parameters(), adam),
      opt_D_(nets.discriminator_parameters(), adam) {}

void Pix2PixStep::set_lr(double lr) {
  opt_G_.set_lr(lr);
  opt_D_.set_lr(lr);
}

Tensor Pix2PixStep::adv(const Tensor& logits, double target) const {
  return options_.gan_loss == GanLoss::bce ? ops::bce_with_logits(logits, target)
                                           : ops::mse_loss(logits, target);
}

Pix2PixLossTensors Pix2PixStep::forward(const Tensor& a, const Tensor& b) {
  StepTimings& T = timings_;
  T.forward_G = T.forward_D = T.losses = 0;
  ops::DropoutShardGuard share(ops::DropoutShard{share_rank_, share_ranks_, a.size(0)});
  PhaseClock clock(timing_);
  Tensor fake_B = (*nets_.G)(a);
  clock.charge(T.forward_G);
  Tensor pred_fake = (*nets_.D)(ops::concat({a, fake_B}, 1));
  Tensor pred_real = (*nets_.D)(ops::concat({a, b}, 1));
  clock.charge(T.forward_D);

  Pix2PixLossTensors L;
  L.G_adv = adv(pred_fake, 1.0);
  L.G_L1 = ops::l1_loss(fake_B, b);
  L.loss_G = ops::add(L.G_adv, ops::mul(L.G_L1, options_.lambda_l1));
  // The discriminator's fake term uses the very prediction the generator loss used: loss_D's
  // backward is asked for D's parameters only, so it does not flow into G.
  L.D_real = adv(pred_real, 1.0);
  L.D_fake = adv(pred_fake, 0.0);
  L.loss_D = ops::mul(ops::add(L.D_real, L.D_fake), 0.5);
  clock.charge(T.losses);
  return L;
}

Pix2PixLosses Pix2PixStep::step(const Tensor& a, const Tensor& b) {
  Pix2PixLossTensors L = forward(a, b);
  apply_gan_update(L.loss_G, L.loss_D, opt_G_, opt_D_, before_update_, timing_, timings_);

  Pix2PixLosses r;
  r.G_adv = L.G_adv.item();
  r.G_L1 = L.G_L1.item();
  r.loss_G = L.loss_G.item();
  r.D = L.loss_D.item();
  return r;
}

}  // namespace gan::train
