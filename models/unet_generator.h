// The pix2pix / TensorFlow-tutorial U-Net generator: log2(size) stride-2 4x4 convolutions down to
// 1x1 (no norm on the first and innermost, LeakyReLU 0.2), then mirrored 4x4 stride-2 transposed
// convolutions up (InstanceNorm, dropout 0.5 on the first three, ReLU), each output concatenated
// with the encoder feature of the same size as [up(x), skip]; a last transposed convolution (the
// only one with a bias) and tanh. Module tree and names as the PyTorch reference:
//   down.<i>.0.weight, up.<j>.0.weight, last.0.weight, last.0.bias
#pragma once
#include <memory>

#include "nn/layers.h"

namespace gan::models {

class UNetGenerator : public nn::Module {
 public:
  // size: the training image side, a power of two in 32..512 (sets the depth).
  UNetGenerator(int channels, int ngf, int size, std::shared_ptr<Rng> dropout_rng);
  // x [N, channels, H, W] with H and W multiples of stride(); any such size works.
  Tensor forward(const Tensor& x) override;
  int stride() const { return 1 << depth_; }

 private:
  int depth_;
  std::shared_ptr<nn::Sequential> down_, up_, last_;
};

}  // namespace gan::models
