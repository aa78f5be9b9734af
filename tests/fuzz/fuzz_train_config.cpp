// libFuzzer target: the training config reader (config.json, checkpoint metadata "config").
#include <cstdint>
#include <stdexcept>
#include <string>

#include "core/error.h"
#include "train/train_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    gan::train::TrainConfig c = gan::train::TrainConfig::from_json(text, "fuzz");
    c.validate();
    // A valid config survives its own round trip.
    gan::train::TrainConfig back = gan::train::TrainConfig::from_json(c.to_json(), "round trip");
    if (back.to_json() != c.to_json()) __builtin_trap();
  } catch (const gan::InputError&) {
  } catch (const std::invalid_argument&) {  // validate()
  }
  return 0;
}
