// CPU kernels: instance normalization over N*C planes of HW values each, with an optional
// per-channel affine (weight, bias of C values).
//   forward:  mean, biased var per plane (two passes, accumulated in double), inv_std =
//             1/sqrt(var + eps), y = (x - mean) * inv_std * w[c] + b[c]; mean and inv_std are
//             written out for the backward.
//   backward: with xhat = (x - mean) * inv_std, s1 = sum(gy), s2 = sum(gy * xhat) per plane,
//             gx = w[c] * inv_std * (gy - s1/HW - xhat * s2/HW), gw[c] = sum_n s2, gb[c] = sum_n s1.
// Planes run in parallel over OpenMP threads; inside a plane Eigen vectorises.
#pragma once
#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace gan::kernels::cpu {

namespace instance_norm_detail {
template <class T>
using Vec = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
template <class T>
using ConstVec = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;

// Sum of a plane: blocks of 1024 summed in T (vectorised), block sums accumulated in double.
template <class Expr>
double block_sum(const Expr& e, int64_t n) {
  constexpr int64_t kBlock = 1024;
  double s = 0.0;
  for (int64_t i = 0; i < n; i += kBlock) {
    const int64_t len = n - i < kBlock ? n - i : kBlock;
    s += static_cast<double>(e.segment(i, len).sum());
  }
  return s;
}
// gweight[c] = sum over n of s2[n, c] (sum of g * xhat per plane), gbias[c] = sum of s1[n, c]
// (sum of g per plane); either may be null.
template <class T>
void affine_gradients(const std::vector<double>& s1, const std::vector<double>& s2, int64_t N,
                      int64_t C, T* gweight, T* gbias) {
  for (int64_t c = 0; c < C; ++c) {
    double gw = 0.0, gb = 0.0;
    for (int64_t n = 0; n < N; ++n) {
      gw += s2[n * C + c];
      gb += s1[n * C + c];
    }
    if (gweight) gweight[c] = static_cast<T>(gw);
    if (gbias) gbias[c] = static_cast<T>(gb);
  }
}

}  // namespace instance_norm_detail

// The normalisation of one plane of HW values: y = (x - m) * scale + shift, with m the mean
// rounded to T and weight w, bias b of its channel folded into scale and shift.
template <class T>
struct PlaneNorm {
  T m, inv_std, scale, shift;
};

template <class T>
PlaneNorm<T> plane_norm(const T* x, int64_t HW, double eps, double w, double b) {
  using namespace instance_norm_detail;
  ConstVec<T> X(x, HW);
  // Summing x - x[0] keeps block sums small when the plane has a large common offset
  // (x - x[0] is exact then), so the float blocks lose nothing the variance needs.
  const T pivot = X(0);
  const double mean =
      static_cast<double>(pivot) + block_sum(X - pivot, HW) / static_cast<double>(HW);
  // Centre on m = mean rounded to T, so x - m is exact in T even for large offsets; the rounding
  // residual r = mean - m is folded into the variance and the shift in double.
  const T m = static_cast<T>(mean);
  const double r = mean - static_cast<double>(m);
  // Second pass on the centred values: no cancellation, unlike E[x^2] - E[x]^2.
  const double sq = block_sum((X - m).square(), HW);
  const double var = std::max(sq / static_cast<double>(HW) - r * r, 0.0);
  const double inv_std = 1.0 / std::sqrt(var + eps);
  const double scale = inv_std * w;
  return {m, static_cast<T>(inv_std), static_cast<T>(scale), static_cast<T>(b - r * scale)};
}

// weight and bias: both null (no affine) or both C values.
template <class T>
void instance_norm2d_forward(const T* x, const T* weight, const T* bias, T* y, T* mean_out,
                             T* inv_std_out, int64_t N, int64_t C, int64_t HW, double eps) {
  using namespace instance_norm_detail;
#pragma omp parallel for schedule(static) if (N * C * HW > (1 << 15))
  for (int64_t p = 0; p < N * C; ++p) {
    const int64_t c = p % C;
    const PlaneNorm<T> s = plane_norm(x + p * HW, HW, eps, weight ? double(weight[c]) : 1.0,
                                      bias ? double(bias[c]) : 0.0);
    Vec<T>(y + p * HW, HW) = (ConstVec<T>(x + p * HW, HW) - s.m) * s.scale + s.shift;
    mean_out[p] = s.m;
    inv_std_out[p] = s.inv_std;
  }
}

// gx, gweight, gbias may each be null when not wanted; weight is null without affine.
template <class T>
void instance_norm2d_backward(const T* x, const T* weight, const T* mean, const T* inv_std,
                              const T* gy, T* gx, T* gweight, T* gbias, int64_t N, int64_t C,
                              int64_t HW) {
  using namespace instance_norm_detail;
  std::vector<double> s1(static_cast<size_t>(N * C)), s2(static_cast<size_t>(N * C));
#pragma omp parallel for schedule(static) if (N * C * HW > (1 << 15))
  for (int64_t p = 0; p < N * C; ++p) {
    const int64_t c = p % C;
    ConstVec<T> X(x + p * HW, HW), G(gy + p * HW, HW);
    const T m = mean[p], is = inv_std[p];
    const double sum_g = block_sum(G, HW);
    const double sum_gxhat = block_sum(G * ((X - m) * is), HW);
    s1[p] = sum_g;
    s2[p] = sum_gxhat;
    if (gx) {
      const double inv_n = 1.0 / static_cast<double>(HW);
      const T w = weight ? weight[c] : T(1);
      const T k = w * is;
      const T mean_g = static_cast<T>(sum_g * inv_n), mean_gxhat = static_cast<T>(sum_gxhat * inv_n);
      Vec<T>(gx + p * HW, HW) = k * (G - mean_g - ((X - m) * is) * mean_gxhat);
    }
  }
  instance_norm_detail::affine_gradients(s1, s2, N, C, gweight, gbias);
}

}  // namespace gan::kernels::cpu
