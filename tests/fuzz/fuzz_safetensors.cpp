// libFuzzer target: the safetensors parser (header length, JSON, dtype/shape/offset consistency,
// overlapping or out-of-range offsets, huge sizes).
#include <cstdint>
#include <cstring>
#include <string>

#include "core/error.h"
#include "train/io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    gan::io::SafetensorsFile f = gan::io::parse_safetensors(bytes, "fuzz");
    // Whatever loads must be consistent: every tensor's bytes lie inside the input.
    size_t total = 0;
    for (const auto& [name, t] : f.tensors) total += t.numel() * gan::dtype_size(t.dtype());
    if (total > size) __builtin_trap();
  } catch (const gan::InputError&) {
  }
  return 0;
}
