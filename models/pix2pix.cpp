#include "models/pix2pix.h"

#include "models/patchgan.h"

namespace gan::models {

std::shared_ptr<nn::Module> make_conditional_discriminator(const ModelConfig& c) {
  c.validate();
  return std::make_shared<PatchGAN>(2 * c.channels, c.ndf);
}

Pix2Pix::Pix2Pix(const ModelConfig& c, uint64_t seed)
    : config(c),
      // A seed of its own so dropout masks don't shift with the number of init draws.
      dropout_rng(std::make_shared<Rng>(seed ^ 0x9E3779B97F4A7C15ull)) {
  G = make_generator(c, dropout_rng);
  D = make_conditional_discriminator(c);
  Rng init(seed);
  nn::init_parameters(*G, init);
  nn::init_parameters(*D, init);
}

std::vector<Tensor> Pix2Pix::generator_parameters() const { return G->parameters(); }

std::vector<Tensor> Pix2Pix::discriminator_parameters() const { return D->parameters(); }

std::vector<nn::Module::NamedTensor> Pix2Pix::named_parameters() const {
  std::vector<nn::Module::NamedTensor> out;
  const std::shared_ptr<nn::Module>* nets[2] = {&G, &D};
  for (int i = 0; i < 2; ++i)
    for (auto& [name, t] : (*nets[i])->named_parameters())
      out.emplace_back(std::string(kPix2PixNetworkNames[i]) + "." + name, t);
  return out;
}

void Pix2Pix::to(Device d) {
  G->to(d);
  D->to(d);
}

void Pix2Pix::train(bool on) {
  G->train(on);
  D->train(on);
}

}  // namespace gan::models
