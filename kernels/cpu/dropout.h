// CPU kernel: dropout with a Philox mask. Element i is kept iff
//   keep_element(philox_at(seed, stream, i).v[0], drop_threshold24(p)),
// a pure function of (seed, stream, i), so the cuda kernel drops exactly the same elements and the
// backward recomputes the mask instead of storing it. The same kernel serves forward (x -> y) and
// backward (gy -> gx): both are "kept values times scale, dropped values zero".
#pragma once
#include <cstdint>

#include "kernels/common/philox.h"

namespace gan::kernels::cpu {

template <class T>
void dropout_apply(const T* x, T* y, int64_t n, uint64_t seed, uint64_t stream,
                   uint32_t drop_threshold24, T scale) {
#pragma omp parallel for schedule(static) if (n > (1 << 15))
  for (int64_t i = 0; i < n; ++i) {
    const uint32_t r = rng::philox_at(seed, stream, static_cast<uint64_t>(i)).v[0];
    y[i] = rng::keep_element(r, drop_threshold24) ? x[i] * scale : T(0);
  }
}

}  // namespace gan::kernels::cpu
