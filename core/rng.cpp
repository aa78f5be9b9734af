#include "core/rng.h"

#include <cmath>

#include "kernels/common/philox.h"

namespace gan {

// Host-side scalar draws take one stream each: they never overlap tensor draws.
double Rng::uniform() {
  rng::U32x4 r = rng::philox_at(seed_, next_stream(), 0);
  return rng::u64_to_unit_double(r.v[0], r.v[1]);
}

uint64_t Rng::uniform_int(uint64_t n) {
  if (n <= 1) return 0;
  auto v = static_cast<uint64_t>(uniform() * static_cast<double>(n));
  return v < n ? v : n - 1;
}

double Rng::normal() {
  rng::U32x4 r = rng::philox_at(seed_, next_stream(), 0);
  double u1 = 1.0 - rng::u64_to_unit_double(r.v[0], r.v[1]);
  double u2 = rng::u64_to_unit_double(r.v[2], r.v[3]);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

}  // namespace gan
