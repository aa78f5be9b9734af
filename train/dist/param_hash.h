// A 64-bit fingerprint of parameter values, compared across ranks at every checkpoint: data-
// parallel ranks apply the same averaged gradients and must hold bit-identical weights.
#pragma once
#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace gan::train::dist {

// Hash of the bytes of every tensor, in order (any device; copied to the host).
uint64_t hash_tensors(const std::vector<Tensor>& tensors);

}  // namespace gan::train::dist
