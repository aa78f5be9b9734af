// Adam optimizer with PyTorch's semantics (torch.optim.Adam, L2 weight decay added to the
// gradient, bias-corrected moments). The defaults are the CycleGAN paper's: lr 2e-4, betas
// (0.5, 0.999). The update is one fused pass per parameter (kernels/cpu/adam.h).
#pragma once
#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace gan::nn {

struct AdamOptions {
  double lr = 2e-4, beta1 = 0.5, beta2 = 0.999, eps = 1e-8, weight_decay = 0.0;
};

class Adam {
 public:
  // The moments are allocated here as zeros like each parameter (same shape, dtype, device).
  explicit Adam(std::vector<Tensor> params, AdamOptions o = {});

  // One update of every parameter that has a gradient (those without one are skipped), in place
  // on the parameters' storage, outside the autograd graph.
  void step();
  // Drops every parameter's gradient (the next backward() starts fresh).
  void zero_grad();

  void set_lr(double lr);
  double lr() const { return options_.lr; }
  // Steps taken so far; the bias corrections of the next step use step_count() + 1.
  int64_t step_count() const { return step_; }
  void set_step_count(int64_t t);
  const AdamOptions& options() const { return options_; }

  const std::vector<Tensor>& params() const { return params_; }
  // First and second moment estimates, one per parameter (for checkpoints: restore with copy_from).
  std::vector<Tensor>& exp_avg() { return exp_avg_; }
  std::vector<Tensor>& exp_avg_sq() { return exp_avg_sq_; }

 private:
  std::vector<Tensor> params_, exp_avg_, exp_avg_sq_;
  AdamOptions options_;
  int64_t step_ = 0;
};

}  // namespace gan::nn
