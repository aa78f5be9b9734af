// One pix2pix training step (Isola et al. 2017; the TensorFlow pix2pix tutorial's recipe) on
// paired batches a (input, T1) and b (target, T2), in the single-forward form of CycleGANStep:
//   fake_B = G(a)
//   loss_G = adv(D([a, fake_B]), 1) + lambda_l1 |fake_B - b|         (L1 = mean abs error)
//   loss_D = 0.5 (adv(D([a, b]), 1) + adv(D([a, fake_B]), 0))
// where [x, y] is the channel concat: the discriminator judges whether b fits a. loss_G's backward
// reaches only G's parameters (retaining the graph), loss_D's only D's, both from the one
// prediction D([a, fake_B]); then both Adams step. No image pool.
#pragma once
#include <functional>
#include <string>

#include "core/ops.h"
#include "models/pix2pix.h"
#include "nn/adam.h"
#include "train/cyclegan_step.h"

namespace gan::train {

struct Pix2PixOptions {
  GanLoss gan_loss = GanLoss::bce;
  double lambda_l1 = 100.0;
};

// The loss terms of one step, as tensors (one element each) of the step's graph.
struct Pix2PixLossTensors {
  Tensor G_adv, G_L1;          // adv(D([a, G(a)]), 1) and |G(a) - b|, unweighted
  Tensor loss_G;               // G_adv + lambda_l1 G_L1
  Tensor D_real, D_fake;       // adv(D([a, b]), 1) and adv(D([a, G(a)]), 0)
  Tensor loss_D;               // 0.5 (D_real + D_fake)
};

// The same terms as numbers, for logs (losses.csv columns G_adv,G_L1,loss_G,D).
struct Pix2PixLosses {
  double G_adv = 0, G_L1 = 0, loss_G = 0, D = 0;
  static const char* csv_header();  // "G_adv,G_L1,loss_G,D"
  std::string csv_row() const;
};

class Pix2PixStep {
 public:
  // Optimizers over the networks' current parameters (call nets.to(device) before).
  Pix2PixStep(models::Pix2Pix& nets, const Pix2PixOptions& options, nn::AdamOptions adam);

  // Builds the graph of one step on paired batches a, b [N, C, S, S] (on the networks' device) and
  // returns its loss tensors; touches no gradient and no optimizer.
  Pix2PixLossTensors forward(const Tensor& a, const Tensor& b);
  // forward + both backward passes + both optimizer updates.
  Pix2PixLosses step(const Tensor& a, const Tensor& b);

  nn::Adam& opt_G() { return opt_G_; }
  nn::Adam& opt_D() { return opt_D_; }
  void set_lr(double lr);
  // Called by step() after both backward passes and before the optimizer updates, once per
  // optimizer (G, then D): data-parallel training averages the gradients across ranks there.
  void set_before_update(std::function<void(nn::Adam&)> hook) { before_update_ = std::move(hook); }
  // Data-parallel training: dropout masks of this process's share of the global batch
  // (CycleGANStep::set_batch_share).
  void set_batch_share(int rank, int ranks) { share_rank_ = rank; share_ranks_ = ranks; }
  void set_timing(bool on) { timing_ = on; }
  // forward_G: the generator; forward_D: the discriminator; the rest as in CycleGANStep.
  const StepTimings& last_timings() const { return timings_; }
  const Pix2PixOptions& options() const { return options_; }

 private:
  Tensor adv(const Tensor& logits, double target) const;

  models::Pix2Pix& nets_;
  Pix2PixOptions options_;
  nn::Adam opt_G_, opt_D_;
  std::function<void(nn::Adam&)> before_update_;
  int share_rank_ = 0, share_ranks_ = 1;
  bool timing_ = false;
  StepTimings timings_;
};

}  // namespace gan::train
