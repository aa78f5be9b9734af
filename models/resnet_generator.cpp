#include "models/resnet_generator.h"

#include <stdexcept>
#include <string>

#include "core/ops.h"

namespace gan::models {

using namespace gan::nn;

ResidualBlock::ResidualBlock(int c) {
  block_ = register_module("b", std::make_shared<Sequential>());
  block_->emplace<Identity>();  // the reflection padding's slot: the convolution pads itself
  block_->emplace<Conv2d>(c, c, 3, 1, 1, true, ops::PadMode::reflect);
  block_->emplace<InstanceNormAct>(c, 0.0);  // instance norm + ReLU, one op
  block_->emplace<Identity>();                // the ReLU's slot
  block_->emplace<Identity>();
  block_->emplace<Conv2d>(c, c, 3, 1, 1, true, ops::PadMode::reflect);
  block_->emplace<InstanceNorm2d>(c);
}

Tensor ResidualBlock::forward(const Tensor& x) { return ops::add(x, block_->forward(x)); }

ResNetGenerator::ResNetGenerator(int channels, int ngf, int blocks) {
  if (channels != 1 && channels != 3)
    throw std::invalid_argument("resnet: channels must be 1 or 3");
  if (blocks < 1) throw std::invalid_argument("resnet: need at least one residual block");
  // Reflection padding is the convolution's own (PadMode::reflect: PyTorch's padding_mode
  // "reflect"); the Identity children keep the slots of the reference's ReflectionPad2d and ReLU
  // modules, so parameter names match it.
  emplace<Identity>();
  emplace<Conv2d>(channels, ngf, 7, 1, 3, true, ops::PadMode::reflect);
  emplace<InstanceNormAct>(ngf, 0.0);  // instance norm + ReLU, one op
  emplace<Identity>();                 // the ReLU's slot: later children keep their names
  for (int m : {1, 2}) {
    emplace<Conv2d>(ngf * m, ngf * m * 2, 3, 2, 1);
    emplace<InstanceNormAct>(ngf * m * 2, 0.0);
    emplace<Identity>();
  }
  for (int i = 0; i < blocks; ++i) emplace<ResidualBlock>(ngf * 4);
  for (int m : {4, 2}) {
    emplace<ConvTranspose2d>(ngf * m, ngf * m / 2, 3, 2, 1, 1);
    emplace<InstanceNormAct>(ngf * m / 2, 0.0);
    emplace<Identity>();
  }
  emplace<Identity>();
  emplace<Conv2d>(ngf, channels, 7, 1, 3, true, ops::PadMode::reflect);
  emplace<Tanh>();
}

Tensor ResNetGenerator::forward(const Tensor& x) {
  if (x.ndim() != 4 || x.size(2) % 4 != 0 || x.size(3) % 4 != 0 || x.size(2) < 16 ||
      x.size(3) < 16)
    throw_shape_error("resnet", "[N, C, H, W] with H, W multiples of 4, at least 16", x);
  return Sequential::forward(x);
}

}  // namespace gan::models
