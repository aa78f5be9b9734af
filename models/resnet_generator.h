// The CycleGAN paper's ResNet generator (Johnson et al.): reflection pad 3, 7x7 conv, IN, ReLU; two
// 3x3 stride-2 convs (IN, ReLU); residual blocks (reflection pad 1, 3x3 conv, IN, ReLU, pad,
// conv, IN; x + block(x)); two 3x3 stride-2 transposed convs with output_padding 1 (IN, ReLU);
// reflection pad 3, 7x7 conv, tanh. All convs have a bias (PyTorch's default). A flat Sequential,
// names as PyTorch's: "1.weight", "10.b.1.weight" (block 0, first conv), ...
#pragma once
#include <memory>

#include "nn/layers.h"

namespace gan::models {

class ResidualBlock : public nn::Module {
 public:
  explicit ResidualBlock(int channels);
  Tensor forward(const Tensor& x) override;

 private:
  std::shared_ptr<nn::Sequential> block_;
};

class ResNetGenerator : public nn::Sequential {
 public:
  ResNetGenerator(int channels, int ngf, int blocks);
  Tensor forward(const Tensor& x) override;
  int stride() const { return 4; }
  // 9 blocks for 256 px and larger, 6 below (as the paper).
  static int blocks_for_size(int size) { return size >= 256 ? 9 : 6; }
};

}  // namespace gan::models
