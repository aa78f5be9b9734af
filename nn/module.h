// Module: the base of every layer and network. A module owns its parameters and its child modules,
// both in registration order, so named_parameters() walks the tree in a stable order and names
// each tensor the way PyTorch names the same module tree ("down.1.0.weight"): the children's names
// joined by dots, then the parameter's own name. A checkpoint written from these names loads into
// a PyTorch model built the same way.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/rng.h"
#include "core/tensor.h"

namespace gan::nn {

class Module {
 public:
  using NamedTensor = std::pair<std::string, Tensor>;
  using NamedModule = std::pair<std::string, std::shared_ptr<Module>>;

  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  virtual Tensor forward(const Tensor& x) = 0;
  Tensor operator()(const Tensor& x) { return forward(x); }

  // Every parameter of this module and its descendants, depth first in registration order.
  std::vector<NamedTensor> named_parameters() const;
  std::vector<Tensor> parameters() const;
  int64_t parameter_count() const;

  // Train/eval mode (affects Dropout), propagated to every descendant.
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  // Moves every parameter to `d` (new leaf tensors that require grad). Build optimizers after.
  void to(Device d);

  // Initializes this module's own parameters (convolutions: weights N(0, std), biases zero).
  virtual void reset_parameters(Rng& g, double stddev) {}

  const std::vector<NamedModule>& children() const { return children_; }
  const std::vector<NamedTensor>& own_parameters() const { return params_; }

 protected:
  // Registers a parameter (marked requires_grad); returns its index for param().
  size_t register_parameter(std::string name, Tensor t);
  template <class M>
  std::shared_ptr<M> register_module(std::string name, std::shared_ptr<M> m) {
    children_.emplace_back(std::move(name), m);
    return m;
  }
  const Tensor& param(size_t i) const { return params_[i].second; }
  void set_param(size_t i, Tensor t) { params_[i].second = std::move(t); }

 private:
  void collect(const std::string& prefix, std::vector<NamedTensor>& out) const;

  std::vector<NamedTensor> params_;
  std::vector<NamedModule> children_;
  bool training_ = true;
};

// Calls reset_parameters on every module of the tree, depth first in registration order, so the
// same seed always gives the same weights.
void init_parameters(Module& root, Rng& g, double stddev = 0.02);

}  // namespace gan::nn
