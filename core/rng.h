// Rng: a seeded source of random tensors. Built on Philox (kernels/common/philox.h): each
// draw takes the next stream number, and element i of a draw depends only on (seed, stream, i),
// so the same seed gives the same numbers on every run, machine and device.
#pragma once
#include <cstdint>

namespace gan {

class Rng {
 public:
  explicit Rng(uint64_t seed = 0) : seed_(seed) {}
  uint64_t seed() const { return seed_; }
  uint64_t stream() const { return stream_; }
  // Reserves the next stream (one per tensor draw).
  uint64_t next_stream() { return stream_++; }
  // Checkpointing: the whole state is (seed, stream).
  void set_state(uint64_t seed, uint64_t stream) { seed_ = seed; stream_ = stream; }

  // Scalar draws for host-side decisions (shuffles, crops, image pool).
  double uniform();                       // [0, 1)
  uint64_t uniform_int(uint64_t n);       // [0, n)
  double normal();

 private:
  uint64_t seed_;
  uint64_t stream_ = 0;
};

}  // namespace gan
