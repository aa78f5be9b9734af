#include "models/unet_generator.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "core/ops.h"

namespace gan::models {

using namespace gan::nn;

UNetGenerator::UNetGenerator(int channels, int ngf, int size,
                             std::shared_ptr<Rng> dropout_rng) {
  if (size < 32 || size > 512 || (size & (size - 1)) != 0)
    throw std::invalid_argument("unet: size must be a power of two in 32..512, got " +
                                std::to_string(size));
  if (channels != 1 && channels != 3)
    throw std::invalid_argument("unet: channels must be 1 or 3");
  depth_ = 0;
  while ((1 << depth_) < size) ++depth_;
  std::vector<int> widths;
  for (int i = 0; i < depth_; ++i) widths.push_back(std::min(ngf << i, ngf * 8));

  down_ = register_module("down", std::make_shared<Sequential>());
  int cin = channels;
  for (int i = 0; i < depth_; ++i) {
    auto block = down_->add(std::make_shared<Sequential>());
    block->emplace<Conv2d>(cin, widths[i], 4, 2, 1, false);
    if (i > 0 && i < depth_ - 1) {
      block->emplace<InstanceNormAct>(widths[i], 0.2);  // instance norm + LeakyReLU(0.2), one op
      block->emplace<Identity>();                       // the LeakyReLU's slot
    } else {
      block->emplace<LeakyReLU>(0.2);
    }
    cin = widths[i];
  }
  up_ = register_module("up", std::make_shared<Sequential>());
  for (int j = 0; j < depth_ - 1; ++j) {
    int w = widths[depth_ - 2 - j];
    auto block = up_->add(std::make_shared<Sequential>());
    block->emplace<ConvTranspose2d>(cin, w, 4, 2, 1, 0, false);
    // Instance norm + ReLU as one op; the dropout, between the two in the reference model, runs
    // after both (it commutes with ReLU), and an Identity holds the ReLU's slot.
    block->emplace<InstanceNormAct>(w, 0.0);
    if (j < 3) block->emplace<Dropout>(0.5, dropout_rng);
    block->emplace<Identity>();
    cin = 2 * w;
  }
  last_ = register_module("last", std::make_shared<Sequential>());
  last_->emplace<ConvTranspose2d>(cin, channels, 4, 2, 1, 0, true);
  last_->emplace<Tanh>();
}

Tensor UNetGenerator::forward(const Tensor& x) {
  if (x.ndim() != 4 || x.size(2) % stride() != 0 || x.size(3) % stride() != 0)
    throw_shape_error("unet", "[N, C, H, W] with H, W multiples of " + std::to_string(stride()), x);
  std::vector<Tensor> skips;
  skips.reserve(depth_);
  Tensor h = x;
  for (size_t i = 0; i < down_->size(); ++i) {
    h = (*down_)[i].forward(h);
    skips.push_back(h);
  }
  for (size_t j = 0; j < up_->size(); ++j)
    h = ops::concat({(*up_)[j].forward(h), skips[depth_ - 2 - j]}, 1);
  return last_->forward(h);
}

}  // namespace gan::models
