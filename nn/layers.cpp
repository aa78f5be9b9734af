#include "nn/layers.h"

#include <stdexcept>
#include <string>

#include "core/autograd.h"
#include "core/ops.h"

namespace gan::nn {
namespace {

void check_positive(const char* layer, int v, const char* what) {
  if (v <= 0) throw std::invalid_argument(std::string(layer) + ": " + what + " must be positive");
}

// N(0, stddev) weights and zero bias, drawn outside the graph.
void init_conv(Module& m, const Tensor& weight, const Tensor& bias, Rng& g, double stddev) {
  NoGradGuard no_grad;
  Tensor w = Tensor::randn(weight.shape(), g, weight.dtype(), Device::cpu);
  w = ops::affine(w, stddev, 0.0);
  const_cast<Tensor&>(weight).copy_from(w);
  if (bias.defined()) const_cast<Tensor&>(bias).fill_(0.0);
}

}  // namespace

Conv2d::Conv2d(int in_channels, int out_channels, int kernel, int stride, int padding, bool bias,
               ops::PadMode padding_mode)
    : in_channels(in_channels), out_channels(out_channels), kernel(kernel), stride(stride),
      padding(padding), padding_mode(padding_mode), has_bias_(bias) {
  check_positive("Conv2d", in_channels, "in_channels");
  check_positive("Conv2d", out_channels, "out_channels");
  check_positive("Conv2d", kernel, "kernel");
  check_positive("Conv2d", stride, "stride");
  register_parameter("weight", Tensor::zeros({out_channels, in_channels, kernel, kernel}));
  if (bias) register_parameter("bias", Tensor::zeros({out_channels}));
}

Tensor Conv2d::forward(const Tensor& x) {
  return ops::conv2d(x, weight(), bias(), stride, padding, padding_mode);
}

void Conv2d::reset_parameters(Rng& g, double stddev) {
  init_conv(*this, weight(), bias(), g, stddev);
}

ConvTranspose2d::ConvTranspose2d(int in_channels, int out_channels, int kernel, int stride,
                                 int padding, int output_padding, bool bias)
    : in_channels(in_channels), out_channels(out_channels), kernel(kernel), stride(stride),
      padding(padding), output_padding(output_padding), has_bias_(bias) {
  check_positive("ConvTranspose2d", in_channels, "in_channels");
  check_positive("ConvTranspose2d", out_channels, "out_channels");
  check_positive("ConvTranspose2d", kernel, "kernel");
  check_positive("ConvTranspose2d", stride, "stride");
  register_parameter("weight", Tensor::zeros({in_channels, out_channels, kernel, kernel}));
  if (bias) register_parameter("bias", Tensor::zeros({out_channels}));
}

Tensor ConvTranspose2d::forward(const Tensor& x) {
  return ops::conv_transpose2d(x, weight(), bias(), stride, padding, output_padding);
}

void ConvTranspose2d::reset_parameters(Rng& g, double stddev) {
  init_conv(*this, weight(), bias(), g, stddev);
}

InstanceNorm2d::InstanceNorm2d(int channels, bool affine, double eps)
    : channels(channels), eps(eps), affine_(affine) {
  check_positive("InstanceNorm2d", channels, "channels");
  if (affine) {
    register_parameter("weight", Tensor::ones({channels}));
    register_parameter("bias", Tensor::zeros({channels}));
  }
}

Tensor InstanceNorm2d::forward(const Tensor& x) {
  if (x.ndim() == 4 && x.size(1) != channels)
    throw_shape_error("InstanceNorm2d", std::to_string(channels) + " channels", x);
  if (!affine_) return ops::instance_norm2d(x, Tensor(), Tensor(), eps);
  return ops::instance_norm2d(x, param(0), param(1), eps);
}

Tensor InstanceNorm2d::forward_act(const Tensor& x, double negative_slope) {
  if (x.ndim() == 4 && x.size(1) != channels)
    throw_shape_error("InstanceNorm2d", std::to_string(channels) + " channels", x);
  if (!affine_) return ops::instance_norm2d_act(x, Tensor(), Tensor(), negative_slope, eps);
  return ops::instance_norm2d_act(x, param(0), param(1), negative_slope, eps);
}

InstanceNormAct::InstanceNormAct(int channels, double negative_slope, bool affine, double eps)
    : InstanceNorm2d(channels, affine, eps), negative_slope(negative_slope) {
  if (!(negative_slope >= 0.0))
    throw std::invalid_argument("InstanceNormAct: negative_slope must be >= 0");
}

void InstanceNorm2d::reset_parameters(Rng&, double) {
  if (!affine_) return;
  const_cast<Tensor&>(param(0)).fill_(1.0);
  const_cast<Tensor&>(param(1)).fill_(0.0);
}

Tensor ReLU::forward(const Tensor& x) { return ops::relu(x); }
Tensor LeakyReLU::forward(const Tensor& x) { return ops::leaky_relu(x, negative_slope); }
Tensor Tanh::forward(const Tensor& x) { return ops::tanh(x); }

Tensor Dropout::forward(const Tensor& x) {
  if (!is_training() || p == 0.0) return x;
  return ops::dropout(x, p, true, *rng_);
}

Tensor ReflectionPad2d::forward(const Tensor& x) { return ops::reflection_pad2d(x, pad); }

Tensor Sequential::forward(const Tensor& x) {
  Tensor y = x;
  for (const auto& child : children()) y = child.second->forward(y);
  return y;
}

}  // namespace gan::nn
