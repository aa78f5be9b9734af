// Wall-clock time of the phases of a training step (StepTimings), when timing is on. On cuda each
// phase boundary synchronises the device, so the time lands on the phase that queued the work.
#pragma once
#include <chrono>

#include "core/device.h"

namespace gan::train {

// Adds the seconds since the previous charge (or construction) to a phase, when on.
class PhaseClock {
 public:
  explicit PhaseClock(bool on) : on_(on) {
    if (on_) restart();
  }
  void restart() {
    device::synchronize();
    t0_ = std::chrono::steady_clock::now();
  }
  void charge(double& phase) {
    if (!on_) return;
    device::synchronize();
    const auto t1 = std::chrono::steady_clock::now();
    phase += std::chrono::duration<double>(t1 - t0_).count();
    t0_ = t1;
  }

 private:
  bool on_;
  std::chrono::steady_clock::time_point t0_;
};

}  // namespace gan::train
