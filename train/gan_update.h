// The update every GAN step ends with (train/cyclegan_step.cpp, train/pix2pix_step.cpp): loss_G's
// backward into the generators' parameters (keeping the graph the discriminator loss shares),
// loss_D's into the discriminators', the before-update hook (data-parallel averaging), then both
// Adam steps; each phase timed into T when timing is on.
#pragma once
#include <functional>

#include "core/autograd.h"
#include "core/profile.h"
#include "nn/adam.h"
#include "train/cyclegan_step.h"
#include "train/phase_clock.h"

namespace gan::train {

inline void apply_gan_update(const Tensor& loss_G, const Tensor& loss_D, nn::Adam& opt_G,
                             nn::Adam& opt_D, const std::function<void(nn::Adam&)>& before_update,
                             bool timing, StepTimings& T) {
  PhaseClock clock(timing);
  T.backward_G = T.backward_D = T.grad_sync = T.adam = 0;
  opt_G.zero_grad();
  opt_D.zero_grad();
  gan::backward(loss_G, {opt_G.params(), /*retain_graph=*/true});
  clock.charge(T.backward_G);
  gan::backward(loss_D, {opt_D.params(), /*retain_graph=*/false});
  clock.charge(T.backward_D);
  if (before_update) {
    before_update(opt_G);
    before_update(opt_D);
    clock.charge(T.grad_sync);
  }
  if (profile::enabled()) profile::mark();
  opt_G.step();
  opt_D.step();
  if (profile::enabled()) profile::add("optimizer", "adam", profile::lap());
  clock.charge(T.adam);
}

}  // namespace gan::train
