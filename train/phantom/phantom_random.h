// Small deterministic random source for the phantom: SplitMix64. Its output is fully specified (no
// implementation-defined distributions), so a seed gives byte-identical phantoms everywhere.
#pragma once
#include <cmath>
#include <cstdint>

namespace gan::train {

struct SplitMix64 {
  uint64_t state = 0;
  explicit SplitMix64(uint64_t seed) : state(seed) {}
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  int uniform_int(int lo, int hi) {  // [lo, hi]
    return lo + static_cast<int>(next() % static_cast<uint64_t>(hi - lo + 1));
  }
  double normal() {  // Box-Muller
    double u1 = 1.0 - uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
};

// A seed for a named sub-stream of `seed` (subject k, the noise of slice j, ...).
inline uint64_t derive_seed(uint64_t seed, uint64_t a, uint64_t b = 0) {
  SplitMix64 r(seed ^ (a * 0xD1B54A32D192ED03ull) ^ (b * 0x8CB92BA72F3D8DD7ull));
  r.next();
  return r.next();
}

}  // namespace gan::train
