// Trainer (train/trainer.h): one step of the run: the next batch, the step of the run's mode
// (CycleGAN or pix2pix), the loss terms averaged across ranks, the non-finite checks and the text
// of the progress line; and the mode's networks and optimizers.
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "core/autograd.h"
#include "core/ops.h"
#include "train/trainer.h"

namespace gan::train {

namespace {

std::logic_error wrong_mode(const char* what, const char* mode) {
  return std::logic_error(std::string("Trainer::") + what + ": only in a " + mode + " run");
}

// sqrt of the sum of squares of the tensors (or of their gradients), on their device.
double l2_norm(const std::vector<Tensor>& ts, bool of_grads) {
  NoGradGuard no_grad;
  double sum = 0;
  for (const Tensor& t : ts) {
    Tensor x = of_grads ? t.grad() : t;
    if (x.defined()) sum += ops::sum(ops::mul(x, x)).item();
  }
  return std::sqrt(sum);
}

const char* non_finite_kind(double v) { return std::isnan(v) ? "NaN" : "infinite"; }

void check_losses(const StepLosses& l, int64_t step) {
  const std::pair<const char*, double> terms[] = {
      {"adv_AB", l.adv_AB},         {"adv_BA", l.adv_BA},         {"cycle_A", l.cycle_A},
      {"cycle_B", l.cycle_B},       {"identity_A", l.identity_A}, {"identity_B", l.identity_B},
      {"loss_G", l.loss_G},         {"D_A", l.D_A},               {"D_B", l.D_B},
      {"structure_A", l.structure_A}, {"structure_B", l.structure_B}};
  for (const auto& [name, v] : terms)
    if (!std::isfinite(v))
      throw NonFiniteError("step " + std::to_string(step) + ": loss term " + name + " is " +
                           non_finite_kind(v));
}

void check_losses(const Pix2PixLosses& l, int64_t step) {
  const std::pair<const char*, double> terms[] = {
      {"G_adv", l.G_adv}, {"G_L1", l.G_L1}, {"loss_G", l.loss_G}, {"D", l.D}};
  for (const auto& [name, v] : terms)
    if (!std::isfinite(v))
      throw NonFiniteError("step " + std::to_string(step) + ": loss term " + name + " is " +
                           non_finite_kind(v));
}

// The progress line's account of a step's losses.
std::string progress_summary(const StepLosses& l) {
  char buf[200];
  std::snprintf(buf, sizeof buf, "G %.4f (adv %.3f %.3f cyc %.3f %.3f id %.3f %.3f) D_A %.4f D_B %.4f",
                l.loss_G, l.adv_AB, l.adv_BA, l.cycle_A, l.cycle_B, l.identity_A, l.identity_B,
                l.D_A, l.D_B);
  return buf;
}

std::string progress_summary(const Pix2PixLosses& l) {
  char buf[120];
  std::snprintf(buf, sizeof buf, "G %.4f (adv %.3f L1 %.4f) D %.4f", l.loss_G, l.G_adv, l.G_L1, l.D);
  return buf;
}

}  // namespace

models::CycleGAN& Trainer::nets() {
  if (!nets_) throw wrong_mode("nets", "cyclegan");
  return *nets_;
}

CycleGANStep& Trainer::step() {
  if (!step_) throw wrong_mode("step", "cyclegan");
  return *step_;
}

models::Pix2Pix& Trainer::pix2pix_nets() {
  if (!pix2pix_nets_) throw wrong_mode("pix2pix_nets", "pix2pix");
  return *pix2pix_nets_;
}

Pix2PixStep& Trainer::pix2pix_step() {
  if (!pix2pix_step_) throw wrong_mode("pix2pix_step", "pix2pix");
  return *pix2pix_step_;
}

std::vector<nn::Module::NamedTensor> Trainer::named_parameters() const {
  return is_pix2pix() ? pix2pix_nets_->named_parameters() : nets_->named_parameters();
}

nn::Adam& Trainer::opt_G() { return is_pix2pix() ? pix2pix_step_->opt_G() : step_->opt_G(); }
nn::Adam& Trainer::opt_D() { return is_pix2pix() ? pix2pix_step_->opt_D() : step_->opt_D(); }

// The mean over the ranks of each loss term: every rank's terms are means over its equal share of
// the batch, so this is the loss of the global batch, as a single process would log it.
// Every loss term of the step, averaged over the ranks in one reduction. The member lists name
// every field, so a new term cannot be forgotten in the average without the list showing it.
void Trainer::average_losses(StepLosses& l) {
  average_terms({&l.adv_AB, &l.adv_BA, &l.cycle_A, &l.cycle_B, &l.identity_A, &l.identity_B,
                 &l.loss_G, &l.D_A, &l.D_B, &l.structure_A, &l.structure_B});
}

void Trainer::average_losses(Pix2PixLosses& l) {
  average_terms({&l.G_adv, &l.G_L1, &l.loss_G, &l.D});
}

void Trainer::average_terms(std::initializer_list<double*> terms) {
  if (comm_->size() <= 1) return;
  std::vector<double> v;
  for (double* t : terms) v.push_back(*t);
  comm_->sum(v);
  size_t i = 0;
  for (double* t : terms) *t = v[i++] / comm_->size();
}

std::pair<Tensor, Tensor> Trainer::next_batch() {
  UnpairedLoader::Batch batch = loader_->next();
  const double lr = schedule_.at_epoch(batch.epoch);
  opt_G().set_lr(lr);
  opt_D().set_lr(lr);
  if (batch_hook_) batch_hook_(global_step_ + 1, batch);
  return {batch.a.to(device_), batch.b.to(device_)};
}

void Trainer::after_update_checks() {
  if (!config_.log_grad_norm) return;
  grad_norm_G_ = l2_norm(opt_G().params(), true);
  grad_norm_D_ = l2_norm(opt_D().params(), true);
  if (!std::isfinite(grad_norm_G_) || !std::isfinite(grad_norm_D_))
    throw NonFiniteError("step " + std::to_string(global_step_) + ": gradient of " +
                         (std::isfinite(grad_norm_G_) ? "D" : "G") + " is " +
                         non_finite_kind(std::isfinite(grad_norm_G_) ? grad_norm_D_ : grad_norm_G_));
}

StepLosses Trainer::train_step() {
  if (!step_) throw wrong_mode("train_step", "cyclegan");
  auto [a, b] = next_batch();
  StepLosses l = step_->step(a, b);
  average_losses(l);
  ++global_step_;
  if (after_step_hook_) after_step_hook_(global_step_, *nets_);
  check_losses(l, global_step_);
  after_update_checks();
  return l;
}

Pix2PixLosses Trainer::train_pix2pix_step() {
  if (!pix2pix_step_) throw wrong_mode("train_pix2pix_step", "pix2pix");
  auto [a, b] = next_batch();
  Pix2PixLosses l = pix2pix_step_->step(a, b);
  average_losses(l);
  ++global_step_;
  check_losses(l, global_step_);
  after_update_checks();
  return l;
}

Trainer::LoggedStep Trainer::next_logged_step() {
  if (is_pix2pix()) {
    const Pix2PixLosses l = train_pix2pix_step();
    return {l.csv_row(), "", progress_summary(l)};
  }
  const StepLosses l = train_step();
  return {l.csv_row(), structure_on() ? l.structure_csv_row() : "", progress_summary(l)};
}

}  // namespace gan::train
