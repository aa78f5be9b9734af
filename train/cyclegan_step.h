// One CycleGAN training step (Zhu et al. 2017) in the single-forward form: the generators and
// discriminators run once, and both gradients are taken from that one graph:
//   fake_B = G_AB(A), fake_A = G_BA(B), cyc_A = G_BA(fake_B), cyc_B = G_AB(fake_A),
//   id_A = G_BA(A), id_B = G_AB(B)
//   loss_G = adv(D_B(fake_B), 1) + adv(D_A(fake_A), 1) + lambda (|cyc_A - A| + |cyc_B - B|)
//            + lambda_id lambda (|id_B - B| + |id_A - A|)              (L1 = mean abs error)
//            + lambda_s (structure_A + structure_B)        (optional structure terms, below)
//   loss_D = 0.5 (adv(D_A(A), 1) + adv(D_A(f_A), 0)) + 0.5 (adv(D_B(B), 1) + adv(D_B(f_B), 0))
// The structure terms (StructureLoss, lambda_s = lambda_structure; core/ops.h ssim and
// gradient_correlation, gradient_alignment) keep anatomy sharp and in place, which the L1 terms
// alone let blur:
//   ssim: structure_A = (1 - SSIM(cyc_A, A)) + lambda_id (1 - SSIM(id_A, A)), structure_B alike:
//         an SSIM term beside each L1 cycle and identity term (the identity part only when the
//         identity pass runs, lambda_id lambda > 0). 11x11 window (7x7 on planes under 11).
//   ngc:  structure_A = 1 - NGC(A, fake_B), structure_B = 1 - NGC(B, fake_A): each translation
//         keeps its input's edges (normalised gradient correlation; signed, so an edge whose
//         contrast flips between T1 and T2 counts against the translation: only for
//         translations that keep edge polarity).
//   ngf:  structure_A = 1 - NGF(A, fake_B), structure_B = 1 - NGF(B, fake_A): the same with
//         normalised gradient fields (per pixel squared cosine of the gradients' angle; blind to
//         edge polarity, so the one for contrast-changing translations such as T1 <-> T2).
// With StructureLoss::none or lambda_s = 0 none of it is computed: the step is the plain one.
// loss_G's backward reaches only generator parameters (retaining the graph), loss_D's only
// discriminator parameters; then both Adams step. Without an image pool f_A/f_B are the very
// D outputs the generator loss used; with one, D runs again on detached fakes from the pool.
#pragma once
#include <functional>
#include <memory>
#include <string>

#include "core/ops.h"
#include "core/rng.h"
#include "models/cyclegan.h"
#include "nn/adam.h"
#include "train/image_pool.h"

namespace gan::train {

enum class GanLoss { bce, lsgan };  // bce: sigmoid cross-entropy on logits; lsgan: MSE to 1 / 0
GanLoss parse_gan_loss(const std::string& s);  // throws std::invalid_argument
const char* gan_loss_name(GanLoss l);

enum class StructureLoss { none, ssim, ngc, ngf };  // the structure terms above
StructureLoss parse_structure_loss(const std::string& s);  // throws std::invalid_argument
const char* structure_loss_name(StructureLoss l);

struct StepOptions {
  GanLoss gan_loss = GanLoss::bce;
  double lambda_cycle = 10.0;
  double lambda_identity = 0.5;  // relative to lambda_cycle
  StructureLoss structure_loss = StructureLoss::none;
  double lambda_structure = 1.0;
  bool structure_on() const { return structure_loss != StructureLoss::none && lambda_structure > 0; }
};

// The loss terms of one step, as tensors (one element each) of the step's graph.
struct StepLossTensors {
  Tensor adv_AB, adv_BA;  // generator adversarial terms: adv(D_B(fake_B), 1), adv(D_A(fake_A), 1)
  Tensor cycle_A, cycle_B, identity_A, identity_B;  // L1 terms, unweighted
  Tensor loss_G, D_A, D_B, loss_D;                  // D_A, D_B: each 0.5 (real + fake)
  Tensor structure_A, structure_B;  // unweighted by lambda_structure; undefined when off
};

// The same terms as numbers, for logs.
struct StepLosses {
  double adv_AB = 0, adv_BA = 0, cycle_A = 0, cycle_B = 0, identity_A = 0, identity_B = 0;
  double loss_G = 0, D_A = 0, D_B = 0;
  double structure_A = 0, structure_B = 0;  // 0 when the structure terms are off
  static const char* csv_header();  // "adv_AB,adv_BA,...,D_B"
  std::string csv_row() const;
  // The structure columns, which losses.csv appends after all others when they are on.
  static const char* structure_csv_header();  // "structure_A,structure_B"
  std::string structure_csv_row() const;
};

// Wall-clock seconds of the phases of the last step(), when timing is on (set_timing). On cuda
// each phase boundary synchronises the device, so timing costs a little overlap there.
struct StepTimings {
  double forward_G = 0, forward_D = 0, losses = 0;  // forward: generators, discriminators, rest
  double backward_G = 0, backward_D = 0, adam = 0;
  double grad_sync = 0;  // the before-update hook: averaging gradients across ranks
  double total() const {
    return forward_G + forward_D + losses + backward_G + backward_D + grad_sync + adam;
  }
};

class CycleGANStep {
 public:
  // Optimizers over the networks' current parameters (call nets.to(device) before).
  CycleGANStep(models::CycleGAN& nets, const StepOptions& options, nn::AdamOptions adam,
               int pool_size, uint64_t pool_seed);

  // Builds the graph of one step on batches a [N, C, S, S] and b (on the networks' device) and
  // returns its loss tensors; touches no gradient and no optimizer (the pool is queried).
  StepLossTensors forward(const Tensor& a, const Tensor& b);
  // forward + both backward passes + both optimizer updates.
  StepLosses step(const Tensor& a, const Tensor& b);

  nn::Adam& opt_G() { return opt_G_; }
  nn::Adam& opt_D() { return opt_D_; }
  ImagePool& pool_A() { return pool_A_; }
  ImagePool& pool_B() { return pool_B_; }
  Rng& pool_rng() { return pool_rng_; }
  void set_lr(double lr);
  // Called by step() after both backward passes and before the optimizer updates, once per
  // optimizer (G, then D): data-parallel training averages the gradients across ranks there.
  void set_before_update(std::function<void(nn::Adam&)> hook) { before_update_ = std::move(hook); }
  // Data-parallel training: this process holds share `rank` of `ranks` equal shares of every
  // batch, and the generators' dropout masks are drawn as that share of the global batch's masks
  // (core/ops.h DropoutShard), so N ranks match one process with N times the batch.
  void set_batch_share(int rank, int ranks) { share_rank_ = rank; share_ranks_ = ranks; }
  void set_timing(bool on) { timing_ = on; }
  const StepTimings& last_timings() const { return timings_; }
  const StepOptions& options() const { return options_; }

 private:
  Tensor adv(const Tensor& logits, double target) const;
  // Sets L.structure_A and L.structure_B (the header's definitions); id_A, id_B may be undefined.
  void add_structure_terms(StepLossTensors& L, const Tensor& a, const Tensor& b,
                           const Tensor& fake_A, const Tensor& fake_B, const Tensor& cyc_A,
                           const Tensor& cyc_B, const Tensor& id_A, const Tensor& id_B) const;

  models::CycleGAN& nets_;
  StepOptions options_;
  nn::Adam opt_G_, opt_D_;
  ImagePool pool_A_, pool_B_;
  Rng pool_rng_;
  std::function<void(nn::Adam&)> before_update_;
  int share_rank_ = 0, share_ranks_ = 1;
  bool timing_ = false;
  StepTimings timings_;
};

}  // namespace gan::train
