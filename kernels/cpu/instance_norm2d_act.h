// CPU kernels of instance_norm2d_act: y = act(instance_norm2d(x)), act(z) = z > 0 ? z : slope * z
// (slope 0: ReLU, else LeakyReLU), in one pass over each plane instead of two ops and two buffers.
//   forward:  the statistics of instance_norm2d (plane_norm), then y = act((x - m) * scale + shift).
//   backward: z is recomputed from x and the saved statistics (nothing of size x is saved besides
//             x), gz = gy * act'(z), and then instance_norm2d's backward on gz:
//             gx = w[c] * inv_std * (gz - s1/HW - xhat * s2/HW), s1 = sum gz, s2 = sum gz * xhat.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/cpu/instance_norm2d.h"

namespace gan::kernels::cpu {

template <class T>
void instance_norm2d_act_forward(const T* x, const T* weight, const T* bias, T* y, T* mean_out,
                                 T* inv_std_out, int64_t N, int64_t C, int64_t HW, double eps,
                                 T slope) {
  using namespace instance_norm_detail;
#pragma omp parallel for schedule(static) if (N * C * HW > (1 << 15))
  for (int64_t p = 0; p < N * C; ++p) {
    const int64_t c = p % C;
    const PlaneNorm<T> s = plane_norm(x + p * HW, HW, eps, weight ? double(weight[c]) : 1.0,
                                      bias ? double(bias[c]) : 0.0);
    const auto z = (ConstVec<T>(x + p * HW, HW) - s.m) * s.scale + s.shift;
    Vec<T>(y + p * HW, HW) = (z > T(0)).select(z, z * slope);
    mean_out[p] = s.m;
    inv_std_out[p] = s.inv_std;
  }
}

// gx, gweight, gbias may each be null when not wanted; weight and bias are null without affine.
// Per plane, pass 1 writes gz (into gx, or a scratch plane) and sums s1, s2; pass 2 turns gz into
// gx in place. Plain loops with `omp simd`: the compiler vectorises the select and the float
// reductions (blocks of 1024 in T, accumulated in double), which Eigen's select does not.
template <class T>
void instance_norm2d_act_backward(const T* x, const T* weight, const T* bias, const T* mean,
                                  const T* inv_std, const T* gy, T* gx, T* gweight, T* gbias,
                                  int64_t N, int64_t C, int64_t HW, T slope) {
  std::vector<double> s1(static_cast<size_t>(N * C)), s2(static_cast<size_t>(N * C));
#pragma omp parallel for schedule(static) if (N * C * HW > (1 << 15))
  for (int64_t p = 0; p < N * C; ++p) {
    const int64_t c = p % C;
    const T w = weight ? weight[c] : T(1), b = bias ? bias[c] : T(0);
    const T m = mean[p], is = inv_std[p];
    const T* xp = x + p * HW;
    const T* gp = gy + p * HW;
    thread_local std::vector<T> scratch;
    if (!gx && scratch.size() < size_t(HW)) scratch.resize(size_t(HW));
    T* gz = gx ? gx + p * HW : scratch.data();
    double sum_gz = 0, sum_gzxhat = 0;
    constexpr int64_t kBlock = 1024;
    for (int64_t i0 = 0; i0 < HW; i0 += kBlock) {
      const int64_t i1 = std::min(HW, i0 + kBlock);
      T a = 0, q = 0;
#pragma omp simd reduction(+ : a, q)
      for (int64_t i = i0; i < i1; ++i) {
        const T xhat = (xp[i] - m) * is;
        const T g = xhat * w + b > T(0) ? gp[i] : gp[i] * slope;
        gz[i] = g;
        a += g;
        q += g * xhat;
      }
      sum_gz += double(a);
      sum_gzxhat += double(q);
    }
    s1[p] = sum_gz;
    s2[p] = sum_gzxhat;
    if (gx) {
      const double inv_n = 1.0 / static_cast<double>(HW);
      const T mean_g = static_cast<T>(sum_gz * inv_n), mean_gxhat = static_cast<T>(sum_gzxhat * inv_n);
      const T k = w * is;
#pragma omp simd
      for (int64_t i = 0; i < HW; ++i) gz[i] = k * (gz[i] - mean_g - (xp[i] - m) * is * mean_gxhat);
    }
  }
  instance_norm_detail::affine_gradients(s1, s2, N, C, gweight, gbias);
}

}  // namespace gan::kernels::cpu
