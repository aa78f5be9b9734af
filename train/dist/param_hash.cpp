#include "train/dist/param_hash.h"

#include <cstring>

namespace gan::train::dist {
namespace {

uint64_t mix(uint64_t h, uint64_t v) {  // splitmix64 of the running hash and the next word
  h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
  h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ull;
  h = (h ^ (h >> 27)) * 0x94D049BB133111EBull;
  return h ^ (h >> 31);
}

}  // namespace

uint64_t hash_tensors(const std::vector<Tensor>& tensors) {
  uint64_t h = 0x6A09E667F3BCC909ull;
  for (const Tensor& t : tensors) {
    const std::vector<float> v = t.to_vector<float>();
    h = mix(h, v.size());
    size_t i = 0;
    for (; i + 2 <= v.size(); i += 2) {
      uint64_t w;
      std::memcpy(&w, &v[i], sizeof w);
      h = mix(h, w);
    }
    if (i < v.size()) {
      uint32_t w;
      std::memcpy(&w, &v[i], sizeof w);
      h = mix(h, w);
    }
  }
  return h;
}

}  // namespace gan::train::dist
