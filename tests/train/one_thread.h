// Computes with one CPU thread while alive. Tiny test networks gain nothing from more, and an
// OpenMP team waiting for a core that other work holds slows each step down a hundredfold.
#pragma once
#include "core/threads.h"

namespace gan::testing {

struct OneThread {
  int before = num_threads();
  OneThread() { set_num_threads(1); }
  ~OneThread() { set_num_threads(before); }
  OneThread(const OneThread&) = delete;
  OneThread& operator=(const OneThread&) = delete;
};

}  // namespace gan::testing
