// Instance normalization.
//   forward: block = one (n, c) plane, thread = a strided slice of the plane's HW values. The
//     block reduces sum(x) -> mean, then sum((x - mean)^2) -> var on the centred values (two
//     passes: no cancellation, unlike E[x^2] - E[x]^2), with block_sum (warp shuffles, then the
//     warp partials through shared memory); then every thread normalises its slice. Terms are
//     float, their sums double: planes of 65536 values keep float accuracy. (The CPU kernel sums
//     otherwise, float blocks of 1024 around a pivot, so the two agree to rounding, not bitwise.)
//   backward: block = one plane again: s1 = sum(gy), s2 = sum(gy * xhat) by block_sum, then
//     gx = w inv_std (gy - s1/HW - xhat s2/HW). The planes' s1, s2 go to scratch memory and a
//     second kernel (thread = one channel) sums them over n in order: gweight, gbias are
//     deterministic, no atomics.
#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/instance_norm2d.h"
#include "kernels/cuda/launch.h"

namespace gan::kernels::cuda {

namespace {

// 32..256 threads, a multiple of 32: small planes (the U-Net bottleneck) waste no warps.
int threads_for(int64_t HW) {
  int64_t t = (HW + 31) / 32 * 32;
  return t < 32 ? 32 : (t > 256 ? 256 : static_cast<int>(t));
}

__global__ void instance_norm_forward_kernel(const float* x, const float* weight, const float* bias,
                                             float* y, float* mean_out, float* inv_std_out,
                                             int64_t C, int64_t HW, float eps) {
  GAN_SHARED(double, warp_sums, [32]);
  const int64_t plane = blockIdx.x, c = plane % C;
  const float* xp = x + plane * HW;
  double s = 0.0;
  for (int64_t i = threadIdx.x; i < HW; i += blockDim.x) s += xp[i];
  const double mean = block_sum(s, warp_sums) / double(HW);
  const float m = float(mean);
  double q = 0.0;
  for (int64_t i = threadIdx.x; i < HW; i += blockDim.x) {
    const float d = xp[i] - m;
    q += d * d;
  }
  const double var = block_sum(q, warp_sums) / double(HW);
  const double inv_std = 1.0 / sqrt(var + double(eps));
  // The shift uses the rounded scale, so x * scale_f + shift_f == (x - mean) * scale_f + bias up
  // to one rounding: no error of size mean * (scale - scale_f) on planes with a large offset.
  const float scale_f = float(inv_std * (weight ? weight[c] : 1.0f));
  const float shift_f = float((bias ? bias[c] : 0.0f) - mean * double(scale_f));
  float* yp = y + plane * HW;
  // One rounding (fmaf), as the CPU kernel's vectorised multiply-add.
  for (int64_t i = threadIdx.x; i < HW; i += blockDim.x) yp[i] = fmaf(xp[i], scale_f, shift_f);
  if (threadIdx.x == 0) {
    mean_out[plane] = m;
    inv_std_out[plane] = float(inv_std);
  }
}

// plane_sums (may be null): [2 * planes] doubles = s1 per plane, then s2 per plane.
__global__ void instance_norm_backward_kernel(const float* x, const float* weight,
                                              const float* mean, const float* inv_std,
                                              const float* gy, float* gx, double* plane_sums,
                                              int64_t planes, int64_t C, int64_t HW) {
  GAN_SHARED(double, warp_sums, [32]);
  const int64_t plane = blockIdx.x, c = plane % C;
  const float* xp = x + plane * HW;
  const float* gp = gy + plane * HW;
  const float m = mean[plane], is = inv_std[plane];
  double a = 0.0, b = 0.0;
  for (int64_t i = threadIdx.x; i < HW; i += blockDim.x) {
    const float g = gp[i];
    a += g;
    b += g * ((xp[i] - m) * is);
  }
  const double s1 = block_sum(a, warp_sums);
  const double s2 = block_sum(b, warp_sums);
  if (gx) {
    const float k = (weight ? weight[c] : 1.0f) * is;
    const float mean_g = float(s1 / double(HW)), mean_gxhat = float(s2 / double(HW));
    float* gxp = gx + plane * HW;
    for (int64_t i = threadIdx.x; i < HW; i += blockDim.x)
      gxp[i] = k * (gp[i] - mean_g - ((xp[i] - m) * is) * mean_gxhat);
  }
  if (plane_sums && threadIdx.x == 0) {
    plane_sums[plane] = s1;
    plane_sums[planes + plane] = s2;
  }
}

// Thread = one channel: gbias[c] = sum_n s1[n, c], gweight[c] = sum_n s2[n, c], in order of n.
__global__ void instance_norm_channel_sums_kernel(const double* plane_sums, float* gweight,
                                                  float* gbias, int64_t N, int64_t C) {
  const int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c >= C) return;
  double s1 = 0.0, s2 = 0.0;
  for (int64_t n = 0; n < N; ++n) {
    s1 += plane_sums[n * C + c];
    s2 += plane_sums[N * C + n * C + c];
  }
  if (gbias) gbias[c] = float(s1);
  if (gweight) gweight[c] = float(s2);
}

}  // namespace

void instance_norm2d_forward(const float* x, const float* weight, const float* bias, float* y,
                             float* mean_out, float* inv_std_out, int64_t N, int64_t C,
                             int64_t HW, float eps) {
  if (N * C <= 0) return;
  GAN_LAUNCH(instance_norm_forward_kernel, unsigned(N * C), threads_for(HW), 0, stream())(
      x, weight, bias, y, mean_out, inv_std_out, C, HW, eps);
  GAN_CUDA_CHECK_LAUNCH();
}

void instance_norm2d_backward(const float* x, const float* weight, const float* mean,
                              const float* inv_std, const float* gy, float* gx, float* gweight,
                              float* gbias, int64_t N, int64_t C, int64_t HW) {
  if (N * C <= 0) return;
  const bool want_affine = gweight || gbias;
  double* plane_sums =
      want_affine ? static_cast<double*>(scratch(size_t(2 * N * C) * sizeof(double))) : nullptr;
  GAN_LAUNCH(instance_norm_backward_kernel, unsigned(N * C), threads_for(HW), 0, stream())(
      x, weight, mean, inv_std, gy, gx, plane_sums, N * C, C, HW);
  GAN_CUDA_CHECK_LAUNCH();
  if (want_affine) {
    GAN_LAUNCH_NOSYNC(instance_norm_channel_sums_kernel, grid_for(C, 128), 128, 0, stream())(
        plane_sums, gweight, gbias, N, C);
    GAN_CUDA_CHECK_LAUNCH();
  }
}

}  // namespace gan::kernels::cuda
