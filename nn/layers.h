// The layers a CycleGAN is built from, each a thin Module over one op of core/ops.h with PyTorch's
// constructor arguments and parameter names ("weight", "bias").
#pragma once
#include <memory>

#include "core/rng.h"
#include "nn/module.h"

namespace gan::nn {

// PyTorch nn.Conv2d (square kernel, zero padding). weight [out, in, k, k], bias [out].
class Conv2d : public Module {
 public:
  Conv2d(int in_channels, int out_channels, int kernel, int stride = 1, int padding = 0,
         bool bias = true);
  Tensor forward(const Tensor& x) override;
  void reset_parameters(Generator& g, double stddev) override;
  const Tensor& weight() const { return param(0); }
  Tensor bias() const { return has_bias_ ? param(1) : Tensor(); }
  int in_channels, out_channels, kernel, stride, padding;

 private:
  bool has_bias_;
};

// PyTorch nn.ConvTranspose2d. weight [in, out, k, k] (PyTorch layout), bias [out].
class ConvTranspose2d : public Module {
 public:
  ConvTranspose2d(int in_channels, int out_channels, int kernel, int stride = 1, int padding = 0,
                  int output_padding = 0, bool bias = true);
  Tensor forward(const Tensor& x) override;
  void reset_parameters(Generator& g, double stddev) override;
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
  // act(forward(x)) with act(z) = z > 0 ? z : negative_slope * z, as one fused op.
  Tensor forward_act(const Tensor& x, double negative_slope);
  void reset_parameters(Generator& g, double stddev) override;  // weight 1, bias 0
  int channels;
  double eps;

 private:
  bool affine_;
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

// Active only in training mode. The masks come from a Generator shared by the network (its state
// is part of a training checkpoint, so a resumed run drops the same units).
class Dropout : public Module {
 public:
  Dropout(double p, std::shared_ptr<Generator> rng) : p(p), rng_(std::move(rng)) {}
  Tensor forward(const Tensor& x) override;
  double p;

 private:
  std::shared_ptr<Generator> rng_;
};

class ReflectionPad2d : public Module {
 public:
  explicit ReflectionPad2d(int pad) : pad(pad) {}
  Tensor forward(const Tensor& x) override;
  int pad;
};

// PyTorch nn.Sequential: children named "0", "1", ...; forward chains them. Also serves as
// nn.ModuleList (a container whose forward the owner doesn't call).
// forward fuses an InstanceNorm2d followed by a ReLU or LeakyReLU (slope >= 0) into one
// instance_norm2d_act op, also across a Dropout between them (Dropout scales by a non-negative
// factor, so it commutes with both activations and runs after the fused op). Same values, same
// modules and parameter names; only the graph has fewer nodes and buffers.
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
