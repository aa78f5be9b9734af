// CPU kernels: 2-d reflection padding (PyTorch's ReflectionPad2d: mirror about the edge without
// repeating it, so with pad 2 the row a b c d becomes c b a b c d c b) and its gradient.
// Layout: `planes` = N*C planes of H x W in, (H + 2 pad) x (W + 2 pad) out; pad < H, pad < W.
#pragma once
#include <cstdint>
#include <cstring>

namespace gan::kernels::cpu {

// Source index in [0, n) of padded index i - pad, for -pad <= i - pad < n + pad.
inline int64_t reflect_index(int64_t i, int64_t n) {
  if (i < 0) return -i;
  if (i >= n) return 2 * (n - 1) - i;
  return i;
}

template <class T>
void reflection_pad2d_forward(const T* x, T* y, int64_t planes, int64_t H, int64_t W, int64_t pad) {
  const int64_t Ho = H + 2 * pad, Wo = W + 2 * pad;
#pragma omp parallel for schedule(static) if (planes * Ho * Wo > (1 << 16))
  for (int64_t p = 0; p < planes; ++p) {
    const T* xp = x + p * H * W;
    T* yp = y + p * Ho * Wo;
    for (int64_t oh = 0; oh < Ho; ++oh) {
      const T* xr = xp + reflect_index(oh - pad, H) * W;
      T* yr = yp + oh * Wo;
      for (int64_t j = 0; j < pad; ++j) yr[j] = xr[pad - j];           // left mirror
      std::memcpy(yr + pad, xr, static_cast<size_t>(W) * sizeof(T));  // interior
      for (int64_t j = 0; j < pad; ++j) yr[pad + W + j] = xr[W - 2 - j];  // right mirror
    }
  }
}

// gx = sum of gy over every padded position that reads each input element (scatter-add).
template <class T>
void reflection_pad2d_backward(const T* gy, T* gx, int64_t planes, int64_t H, int64_t W,
                               int64_t pad) {
  const int64_t Ho = H + 2 * pad, Wo = W + 2 * pad;
#pragma omp parallel for schedule(static) if (planes * Ho * Wo > (1 << 16))
  for (int64_t p = 0; p < planes; ++p) {
    const T* gyp = gy + p * Ho * Wo;
    T* gxp = gx + p * H * W;
    for (int64_t i = 0; i < H * W; ++i) gxp[i] = T(0);
    for (int64_t oh = 0; oh < Ho; ++oh) {
      T* gr = gxp + reflect_index(oh - pad, H) * W;
      const T* gyr = gyp + oh * Wo;
      for (int64_t j = 0; j < pad; ++j) gr[pad - j] += gyr[j];
      for (int64_t w = 0; w < W; ++w) gr[w] += gyr[pad + w];
      for (int64_t j = 0; j < pad; ++j) gr[W - 2 - j] += gyr[pad + W + j];
    }
  }
}

}  // namespace gan::kernels::cpu
