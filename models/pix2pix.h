// The two networks of pix2pix (Isola et al. 2017): a generator G (A -> B, in the T1<->T2 tools
// T1 -> T2) and a conditional PatchGAN discriminator D that judges an (input, output) pair, the
// channel concat [A, B] (2 x channels input channels). Checkpoint names: the generator under
// "G_AB." exactly as CycleGAN's A -> B generator (so gan_infer --direction t1-to-t2 loads it from
// either kind of checkpoint), the discriminator under "D.".
#pragma once
#include <memory>
#include <vector>

#include "core/rng.h"
#include "models/cyclegan.h"
#include "nn/module.h"

namespace gan::models {

class Pix2Pix {
 public:
  // Builds G (make_generator: unet or resnet, with its dropout) and D (PatchGAN of 2 x channels
  // inputs) and initializes them (conv weights N(0, 0.02), biases 0) from Rng(seed), G then D.
  Pix2Pix(const ModelConfig& c, uint64_t seed);

  ModelConfig config;
  std::shared_ptr<Rng> dropout_rng;  // the generator's Dropout layers
  std::shared_ptr<nn::Module> G, D;

  std::vector<Tensor> generator_parameters() const;
  std::vector<Tensor> discriminator_parameters() const;
  // Every parameter with its checkpoint name ("G_AB.down.0.0.weight", ..., "D.0.weight", ...).
  std::vector<nn::Module::NamedTensor> named_parameters() const;
  void to(Device d);
  void train(bool on = true);
};

// The checkpoint prefixes, in order: generator, discriminator.
inline const char* const kPix2PixNetworkNames[2] = {"G_AB", "D"};

// The conditional discriminator alone: a PatchGAN over [input, output], 2 x c.channels channels.
std::shared_ptr<nn::Module> make_conditional_discriminator(const ModelConfig& c);

}  // namespace gan::models
