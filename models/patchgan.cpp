#include "models/patchgan.h"

namespace gan::models {

using namespace gan::nn;

PatchGAN::PatchGAN(int channels, int ndf) {
  emplace<Conv2d>(channels, ndf, 4, 2, 1);
  emplace<LeakyReLU>(0.2);
  int c = ndf;
  for (int s : {2, 2, 1}) {
    emplace<Conv2d>(c, c * 2, 4, s, 1);
    emplace<InstanceNorm2d>(c * 2);
    emplace<LeakyReLU>(0.2);
    c *= 2;
  }
  emplace<Conv2d>(c, 1, 4, 1, 1);
}

}  // namespace gan::models
