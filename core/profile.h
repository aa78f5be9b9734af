// Per-op time accounting, switched on by the environment variable GAN_PROFILE=1 (read once).
//
// Forward: record() charges each recorded op with the time since the previous mark on its
// thread: ops run one after another, so that interval is the op's own work (checks, allocation,
// kernel). backward() and Adam place marks, so idle time between steps is not charged to the
// first op of the next forward. Backward: backward() times each node's closure, and the summing
// of gradients that meet at a tensor is charged to "grad_accumulate".
// Off (the default), the cost is one predictable branch per op.
#pragma once
#include <string>

namespace gan::profile {

bool enabled();
void set_enabled(bool on);  // for tests and benchmarks; overrides GAN_PROFILE

// Charges `seconds` to (phase, name); phase is "forward", "backward" or another label.
void add(const char* phase, const char* name, double seconds);
// Seconds since the previous mark on this thread, and a new mark now.
double lap();
void mark();

// The accumulated table, most expensive first: phase, name, calls, total seconds, share.
std::string report();
void reset();

}  // namespace gan::profile
