// The layers a CycleGAN is built from, each a thin Module over one op of core/ops.h with PyTorch's
// constructor arguments and parameter names ("weight", "bias").
#pragma once
#include <memory>

#include "core/ops.h"
#include "core/rng.h"
#include "nn/module.h"

namespace gan::nn {

// PyTorch nn.Conv2d (square kernel; zero or reflection padding). weight [out, in, k, k], bias [out].
class Conv2d : public Module {
 public:
  Conv2d(int in_channels, int out_channels, int kernel, int stride = 1, int padding = 0,
         bool bias = true, ops::PadMode padding_mode = ops::PadMode::zeros);
  Tensor forward(const Tensor& x) override;
  void reset_parameters(Rng& g, double stddev) override;
  const Tensor& weight() const { return param(0); }
  Tensor bias() const { return has_bias_ ? param(1) : Tensor(); }
  int in_channels, out_channels, kernel, stride, padding;
  ops::PadMode padding_mode;  // PyTorch's padding_mode: "zeros" or "reflect"

 private:
  bool has_bias_;
};

// PyTorch nn.ConvTranspose2d. weight [in, out, k, k] (PyTorch layout), bias [out].
class ConvTranspose2d : public Module {
 public:
  ConvTranspose2d(int in_channels, int out_channels, int kernel, int stride = 1, int padding = 0,
                  int output_padding = 0, bool bias = true);
  Tensor forward(const Tensor& x) override;
  void reset_parameters(Rng& g, double stddev) override;
  const Tensor& weight() const { return param(0); }
  Tensor bias() const { return has_bias_ ? param(1) : Tensor(); }
  int in_channels, out_channels, kernel, stride, padding, output_padding;

 private:
  bool has_bias_;
};

// PyTorch nn.InstanceNorm2d; affine = false by default (as PyTorch and the CycleGAN reference),
// and never running statistics: train and eval normalize the same way.
class InstanceNorm2d : public Module {
 public:
  explicit InstanceNorm2d(int channels, bool affine = false, double eps = 1e-5);
  Tensor forward(const Tensor& x) override;
  // act(forward(x)) with act(z) = z > 0 ? z : negative_slope * z, as one op (InstanceNormAct).
  Tensor forward_act(const Tensor& x, double negative_slope);
  void reset_parameters(Rng& g, double stddev) override;  // weight 1, bias 0
  int channels;
  double eps;

 private:
  bool affine_;
};

// InstanceNorm2d followed by ReLU (negative_slope 0) or LeakyReLU (negative_slope > 0) as one op,
// instance_norm2d_act: the same values as the pair, one buffer less kept for the backward (see
// core/ops/instance_norm2d_act.cpp). Same parameters and names as InstanceNorm2d. A model puts an
// Identity in the activation's slot, so later children keep the indices, and checkpoints the
// names, of the unfused [InstanceNorm2d, activation]; a Dropout between the two goes after this
// layer (dropout scales by a non-negative factor, so it commutes with the activation).
class InstanceNormAct : public InstanceNorm2d {
 public:
  InstanceNormAct(int channels, double negative_slope, bool affine = false, double eps = 1e-5);
  Tensor forward(const Tensor& x) override { return forward_act(x, negative_slope); }
  double negative_slope;
};

// y = x. Holds the slot of a layer that its neighbour absorbed (InstanceNormAct's activation).
class Identity : public Module {
 public:
  Tensor forward(const Tensor& x) override { return x; }
};

class ReLU : public Module {
 public:
  Tensor forward(const Tensor& x) override;
};

class LeakyReLU : public Module {
 public:
  explicit LeakyReLU(double negative_slope = 0.01) : negative_slope(negative_slope) {}
  Tensor forward(const Tensor& x) override;
  double negative_slope;
};

class Tanh : public Module {
 public:
  Tensor forward(const Tensor& x) override;
};

// Active only in training mode. The masks come from a Rng shared by the network (its state
// is part of a training checkpoint, so a resumed run drops the same units).
class Dropout : public Module {
 public:
  Dropout(double p, std::shared_ptr<Rng> rng) : p(p), rng_(std::move(rng)) {}
  Tensor forward(const Tensor& x) override;
  double p;

 private:
  std::shared_ptr<Rng> rng_;
};

class ReflectionPad2d : public Module {
 public:
  explicit ReflectionPad2d(int pad) : pad(pad) {}
  Tensor forward(const Tensor& x) override;
  int pad;
};

// PyTorch nn.Sequential: children named "0", "1", ...; forward chains them. Also serves as
// nn.ModuleList (a container whose forward the owner doesn't call).
class Sequential : public Module {
 public:
  Sequential() = default;
  template <class M>
  std::shared_ptr<M> add(std::shared_ptr<M> m) {
    return register_module(std::to_string(children().size()), std::move(m));
  }
  template <class M, class... Args>
  std::shared_ptr<M> emplace(Args&&... args) {
    return add(std::make_shared<M>(std::forward<Args>(args)...));
  }
  size_t size() const { return children().size(); }
  Module& operator[](size_t i) const { return *children()[i].second; }
  Tensor forward(const Tensor& x) override;
};

}  // namespace gan::nn
