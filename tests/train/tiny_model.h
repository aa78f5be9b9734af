// The smallest CycleGAN the step tests train: 32x32 single-channel images, width 4.
#pragma once
#include "models/cyclegan.h"

namespace gan::testing {

inline models::ModelConfig tiny_model(const char* gen = "unet") {
  models::ModelConfig c;
  c.gen = gen;
  c.size = 32;
  c.ngf = c.ndf = 4;
  return c;
}

}  // namespace gan::testing
