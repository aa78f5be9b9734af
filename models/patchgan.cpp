#include "models/patchgan.h"

namespace gan::models {

using namespace gan::nn;

PatchGAN::PatchGAN(int channels, int ndf) {
  emplace<Conv2d>(channels, ndf, 4, 2, 1);
  emplace<LeakyReLU>(0.2);
  int c = ndf;
  for (int s : {2, 2, 1}) {
    emplace<Conv2d>(c, c * 2, 4, s, 1);
    emplace<InstanceNormAct>(c * 2, 0.2);  // instance norm + LeakyReLU(0.2), one op
    emplace<Identity>();                   // the LeakyReLU's slot: later children keep their names
    c *= 2;
  }
  emplace<Conv2d>(c, 1, 4, 1, 1);
}

}  // namespace gan::models
