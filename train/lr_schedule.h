// The CycleGAN learning-rate schedule: the base rate for the first `epochs` epochs, then a linear
// decay over `decay_epochs` more (the reference's "linear" policy):
//   lr(e) = base * (1 - max(0, e + 1 - epochs) / (decay_epochs + 1)),  e = 0-based epoch,
// so the last epoch trains at base / (decay_epochs + 1) and the rate reaches 0 right after it.
#pragma once
#include <cstdint>

namespace gan::train {

struct LrSchedule {
  double base = 2e-4;
  int64_t epochs = 100, decay_epochs = 100;
  double at_epoch(int64_t epoch) const;
  int64_t total_epochs() const { return epochs + decay_epochs; }
};

}  // namespace gan::train
