#include "models/cyclegan.h"

#include <stdexcept>

#include "models/patchgan.h"
#include "models/resnet_generator.h"
#include "models/unet_generator.h"

namespace gan::models {

void ModelConfig::validate() const {
  if (gen != "unet" && gen != "resnet")
    throw std::invalid_argument("gen must be unet or resnet, got '" + gen + "'");
  if (channels != 1 && channels != 3) throw std::invalid_argument("channels must be 1 or 3");
  if (ngf < 1 || ndf < 1) throw std::invalid_argument("ngf and ndf must be positive");
  if (gen == "unet" && (size < 32 || size > 512 || (size & (size - 1)) != 0))
    throw std::invalid_argument("size must be a power of two in 32..512 for the unet, got " +
                                std::to_string(size));
  if (gen == "resnet" && (size < 32 || size % 4 != 0))
    throw std::invalid_argument("size must be a multiple of 4 and at least 32 for the resnet, got " +
                                std::to_string(size));
}

std::shared_ptr<nn::Module> make_generator(const ModelConfig& c,
                                           std::shared_ptr<Rng> dropout_rng) {
  c.validate();
  if (c.gen == "unet")
    return std::make_shared<UNetGenerator>(c.channels, c.ngf, c.size, std::move(dropout_rng));
  return std::make_shared<ResNetGenerator>(c.channels, c.ngf,
                                           ResNetGenerator::blocks_for_size(c.size));
}

std::shared_ptr<nn::Module> make_discriminator(const ModelConfig& c) {
  c.validate();
  return std::make_shared<PatchGAN>(c.channels, c.ndf);
}

int generator_stride(const ModelConfig& c) {
  if (c.gen == "resnet") return 4;
  int s = 1;
  while (s < c.size) s <<= 1;
  return s;
}

CycleGAN::CycleGAN(const ModelConfig& c, uint64_t seed)
    : config(c),
      // A seed of its own so dropout masks don't shift with the number of init draws.
      dropout_rng(std::make_shared<Rng>(seed ^ 0x9E3779B97F4A7C15ull)) {
  G_AB = make_generator(c, dropout_rng);
  G_BA = make_generator(c, dropout_rng);
  D_A = make_discriminator(c);
  D_B = make_discriminator(c);
  Rng init(seed);
  for (auto* net : {&G_AB, &G_BA, &D_A, &D_B}) nn::init_parameters(**net, init);
}

std::vector<Tensor> CycleGAN::generator_parameters() const {
  auto p = G_AB->parameters();
  for (auto& t : G_BA->parameters()) p.push_back(t);
  return p;
}

std::vector<Tensor> CycleGAN::discriminator_parameters() const {
  auto p = D_A->parameters();
  for (auto& t : D_B->parameters()) p.push_back(t);
  return p;
}

std::vector<nn::Module::NamedTensor> CycleGAN::named_parameters() const {
  std::vector<nn::Module::NamedTensor> out;
  const std::shared_ptr<nn::Module>* nets[4] = {&G_AB, &G_BA, &D_A, &D_B};
  for (int i = 0; i < 4; ++i)
    for (auto& [name, t] : (*nets[i])->named_parameters())
      out.emplace_back(std::string(kNetworkNames[i]) + "." + name, t);
  return out;
}

void CycleGAN::to(Device d) {
  for (auto* net : {&G_AB, &G_BA, &D_A, &D_B}) (*net)->to(d);
}

void CycleGAN::train(bool on) {
  for (auto* net : {&G_AB, &G_BA, &D_A, &D_B}) (*net)->train(on);
}

}  // namespace gan::models
