// libFuzzer target: checkpoint loading on top of the safetensors parser: metadata (format, config,
// step counters, RNG states), names and shapes against a tiny model, image pools, and
// load_generator (which builds a network from the config in the file).
#include <unistd.h>

#include <cstdint>
#include <memory>

#include "core/error.h"
#include "tests/fuzz/fuzz_input_file.h"
#include "train/checkpoint.h"

namespace {

gan::models::ModelConfig tiny_model() {
  gan::models::ModelConfig m;
  m.gen = "unet";
  m.size = 32;
  m.ngf = 2;
  m.ndf = 2;
  return m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static gan::models::CycleGAN nets(tiny_model(), 1);
  static gan::train::CycleGANStep step(nets, {}, {}, 4, 2);
  const std::string path = gan::fuzz::write_input_file(data, size, ".safetensors");
  try {
    gan::train::load_training_checkpoint(path, nets, step);
  } catch (const gan::InputError&) {
  }
  try {
    gan::train::load_generator(path, (size & 1) ? "G_AB" : "G_BA");
  } catch (const gan::InputError&) {
  }
  ::unlink(path.c_str());
  return 0;
}
