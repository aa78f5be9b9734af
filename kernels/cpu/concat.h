// CPU kernels: concatenation along one dimension, and its inverse (splitting a gradient back).
// Seen from the concatenated dim, every tensor is [outer, inner_k]: outer = product of the sizes
// before dim (the same for all), inner_k = size_k(dim) * product of the sizes after dim. The
// output row o is the inputs' rows o laid end to end.
#pragma once
#include <cstdint>
#include <cstring>

namespace gan::kernels::cpu {

template <class T>
void concat_forward(const T* const* srcs, const int64_t* inner, int count, int64_t outer, T* y) {
  int64_t row = 0;
  for (int k = 0; k < count; ++k) row += inner[k];
#pragma omp parallel for schedule(static) if (outer * row > (1 << 18))
  for (int64_t o = 0; o < outer; ++o) {
    T* dst = y + o * row;
    for (int k = 0; k < count; ++k) {
      std::memcpy(dst, srcs[k] + o * inner[k], static_cast<size_t>(inner[k]) * sizeof(T));
      dst += inner[k];
    }
  }
}

// dsts[k] receives its part of gy; a null dsts[k] is skipped.
template <class T>
void concat_backward(const T* gy, T* const* dsts, const int64_t* inner, int count, int64_t outer) {
  int64_t row = 0;
  for (int k = 0; k < count; ++k) row += inner[k];
#pragma omp parallel for schedule(static) if (outer * row > (1 << 18))
  for (int64_t o = 0; o < outer; ++o) {
    const T* src = gy + o * row;
    for (int k = 0; k < count; ++k) {
      if (dsts[k]) std::memcpy(dsts[k] + o * inner[k], src, static_cast<size_t>(inner[k]) * sizeof(T));
      src += inner[k];
    }
  }
}

}  // namespace gan::kernels::cpu
