// The 70x70 PatchGAN discriminator of pix2pix/CycleGAN: 4x4 convs, stride 2, 2, 2, 1, 1 with
// LeakyReLU 0.2 and InstanceNorm (not after the first), one logit per overlapping 70x70 patch.
// All convs have a bias. A flat Sequential: names "0.weight", "2.weight", ... "11.bias".
#pragma once
#include "nn/layers.h"

namespace gan::models {

class PatchGAN : public nn::Sequential {
 public:
  PatchGAN(int channels, int ndf);
};

}  // namespace gan::models
