// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11).
// A counter-based generator: the random numbers for element i of draw k are a pure function of
// (seed, k, i), so CPU loops and GPU threads produce the same values in any order.
#pragma once
#include <cstdint>

#include "kernels/common/hd.h"

namespace gan::rng {

struct U32x4 {
  uint32_t v[4];
};

GAN_HD void mulhilo(uint32_t a, uint32_t b, uint32_t& hi, uint32_t& lo) {
  uint64_t p = static_cast<uint64_t>(a) * b;
  hi = static_cast<uint32_t>(p >> 32);
  lo = static_cast<uint32_t>(p);
}

// 10 rounds of Philox4x32 on counter (c0..c3) with key (k0, k1).
GAN_HD U32x4 philox4x32(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0,
                        uint32_t k1) {
  for (int r = 0; r < 10; ++r) {
    uint32_t hi0, lo0, hi1, lo1;
    mulhilo(0xD2511F53u, c0, hi0, lo0);
    mulhilo(0xCD9E8D57u, c2, hi1, lo1);
    uint32_t n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
    c0 = n0; c1 = n1; c2 = n2; c3 = n3;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return U32x4{{c0, c1, c2, c3}};
}

// Four random words for element `index` of draw `stream` under `seed`.
GAN_HD U32x4 philox_at(uint64_t seed, uint64_t stream, uint64_t index) {
  return philox4x32(static_cast<uint32_t>(index), static_cast<uint32_t>(index >> 32),
                    static_cast<uint32_t>(stream), static_cast<uint32_t>(stream >> 32),
                    static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
}

// Uniform in [0, 1) with 24 bits (exact in float).
GAN_HD float u32_to_unit_float(uint32_t x) { return static_cast<float>(x >> 8) * (1.0f / 16777216.0f); }
// Uniform in [0, 1) with 53 bits.
GAN_HD double u64_to_unit_double(uint32_t hi, uint32_t lo) {
  uint64_t v = (static_cast<uint64_t>(hi) << 21) ^ (lo >> 11);
  return static_cast<double>(v & ((1ull << 53) - 1)) * (1.0 / 9007199254740992.0);
}
// Keep-test for dropout with drop probability p: an integer comparison, bit-identical everywhere.
GAN_HD bool keep_element(uint32_t x, uint32_t drop_threshold24) { return (x >> 8) >= drop_threshold24; }
inline uint32_t drop_threshold24(double p) {
  double t = p * 16777216.0;
  return t >= 16777216.0 ? 16777216u : static_cast<uint32_t>(t);
}

}  // namespace gan::rng
