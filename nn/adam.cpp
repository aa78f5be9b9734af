#include "nn/adam.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "core/autograd.h"
#include "core/ops/dispatch.h"
#include "kernels/cpu/adam.h"
#include "kernels/cuda/adam.h"

namespace gan::nn {
namespace {

void check_options(const AdamOptions& o) {
  auto fail = [](const std::string& what) { throw std::invalid_argument("Adam: " + what); };
  if (!(o.lr >= 0.0)) fail("lr must be >= 0, got " + std::to_string(o.lr));
  if (!(o.beta1 >= 0.0 && o.beta1 < 1.0)) fail("beta1 must be in [0, 1), got " + std::to_string(o.beta1));
  if (!(o.beta2 >= 0.0 && o.beta2 < 1.0)) fail("beta2 must be in [0, 1), got " + std::to_string(o.beta2));
  if (!(o.eps >= 0.0)) fail("eps must be >= 0, got " + std::to_string(o.eps));
  if (!(o.weight_decay >= 0.0)) fail("weight_decay must be >= 0, got " + std::to_string(o.weight_decay));
}

}  // namespace

Adam::Adam(std::vector<Tensor> params, AdamOptions o) : params_(std::move(params)), options_(o) {
  check_options(options_);
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    if (!p.defined()) throw std::invalid_argument("Adam: parameter " + std::to_string(i) + " is undefined");
    exp_avg_.push_back(Tensor::zeros(p.shape(), p.dtype(), p.device()));
    exp_avg_sq_.push_back(Tensor::zeros(p.shape(), p.dtype(), p.device()));
  }
}

void Adam::step() {
  NoGradGuard no_grad;
  ++step_;
  kernels::cpu::AdamStep s{options_.lr, options_.beta1, options_.beta2, options_.eps,
                           options_.weight_decay,
                           1.0 - std::pow(options_.beta1, static_cast<double>(step_)),
                           1.0 - std::pow(options_.beta2, static_cast<double>(step_))};
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    if (g.shape() != p.shape() || g.dtype() != p.dtype() || g.device() != p.device())
      throw_shape_error("Adam.step", "gradient must match its parameter", p, &g);
    ops::detail::run_kernels(
        "Adam.step", p,
        [&](auto t) {
          using T = decltype(t);
          kernels::cpu::adam_update<T>(p.data<T>(), g.data<T>(), exp_avg_[i].data<T>(),
                                       exp_avg_sq_[i].data<T>(), p.numel(), s);
        },
        [&](auto) {
          kernels::cuda::adam_update(p.data<float>(), g.data<float>(), exp_avg_[i].data<float>(),
                                     exp_avg_sq_[i].data<float>(), p.numel(),
                                     static_cast<float>(s.beta1), static_cast<float>(s.beta2),
                                     static_cast<float>(s.eps), static_cast<float>(s.weight_decay),
                                     static_cast<float>(s.lr / s.bias_correction1),
                                     static_cast<float>(1.0 / std::sqrt(s.bias_correction2)));
        });
  }
}

void Adam::zero_grad() {
  for (Tensor& p : params_) p.zero_grad();
}

void Adam::set_lr(double lr) {
  if (!(lr >= 0.0)) throw std::invalid_argument("Adam: lr must be >= 0, got " + std::to_string(lr));
  options_.lr = lr;
}

void Adam::set_step_count(int64_t t) {
  if (t < 0) throw std::invalid_argument("Adam: step count must be >= 0, got " + std::to_string(t));
  step_ = t;
}

}  // namespace gan::nn
