// The four networks of a CycleGAN: G_AB (A -> B), G_BA (B -> A), D_A (real A vs G_BA(B)) and D_B
// (real B vs G_AB(A)). In the T1<->T2 tools domain A is T1 and domain B is T2. Checkpoint names
// are the networks' own parameter names under the prefixes "G_AB.", "G_BA.", "D_A.", "D_B.".
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "core/rng.h"
#include "nn/module.h"

namespace gan::models {

struct ModelConfig {
  std::string gen = "unet";  // "unet" or "resnet"
  int channels = 1;          // 1 (grayscale) or 3 (RGB)
  int size = 256;            // training image side; unet: power of two 32..512
  int ngf = 64, ndf = 64;    // width of the first generator / discriminator layer
  // Throws std::invalid_argument naming the bad field.
  void validate() const;
};

// A generator of the given config; its Dropout layers (unet) draw from dropout_rng.
std::shared_ptr<nn::Module> make_generator(const ModelConfig& c,
                                           std::shared_ptr<Rng> dropout_rng);
std::shared_ptr<nn::Module> make_discriminator(const ModelConfig& c);
// Input sides a generator accepts are multiples of this (unet: 2^depth, resnet: 4).
int generator_stride(const ModelConfig& c);

class CycleGAN {
 public:
  // Builds the four networks and initializes them (conv weights N(0, 0.02), biases 0) from
  // Rng(seed), in the order G_AB, G_BA, D_A, D_B.
  CycleGAN(const ModelConfig& c, uint64_t seed);

  ModelConfig config;
  std::shared_ptr<Rng> dropout_rng;  // shared by both generators' Dropout layers
  std::shared_ptr<nn::Module> G_AB, G_BA, D_A, D_B;

  std::vector<Tensor> generator_parameters() const;      // G_AB then G_BA
  std::vector<Tensor> discriminator_parameters() const;  // D_A then D_B
  // Every parameter with its checkpoint name ("G_AB.down.0.0.weight", ...).
  std::vector<nn::Module::NamedTensor> named_parameters() const;
  void to(Device d);
  void train(bool on = true);
};

// The checkpoint prefixes, in order.
inline const char* const kNetworkNames[4] = {"G_AB", "G_BA", "D_A", "D_B"};

}  // namespace gan::models
