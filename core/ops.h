// The differentiable operations of the engine: everything a CycleGAN needs.
// Each op lives in core/ops/<name>.cpp: shape checks, dispatch by device to the raw kernels
// (kernels/cpu/<name>.h, kernels/cuda/<name>.cu), and the backward closure given to record().
// All ops take float32 or float64 on the CPU and float32 on cuda; inputs must share dtype and
// device. A wrong shape or dtype throws std::invalid_argument naming the op and the shapes.
#pragma once
#include <vector>

#include "core/autograd.h"
#include "core/rng.h"
#include "core/tensor.h"

namespace gan::ops {

// ---- elementwise arithmetic (core/ops/binary.cpp) ------------------------------------------
// b is either the same shape as a, a one-element tensor, or per-channel: shape [C] or [1, C, 1, 1]
// broadcast over a of shape [N, C, H, W]. The result has a's shape.
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
// With a constant: y = a * scale + shift (one op, so a + s, a * s, -a cost one pass).
Tensor affine(const Tensor& a, double scale, double shift);
inline Tensor add(const Tensor& a, double s) { return affine(a, 1.0, s); }
inline Tensor sub(const Tensor& a, double s) { return affine(a, 1.0, -s); }
inline Tensor mul(const Tensor& a, double s) { return affine(a, s, 0.0); }
inline Tensor div(const Tensor& a, double s) { return affine(a, 1.0 / s, 0.0); }
inline Tensor neg(const Tensor& a) { return affine(a, -1.0, 0.0); }

// ---- activations and pointwise functions (core/ops/activation.cpp, dropout.cpp) ----
Tensor relu(const Tensor& x);
Tensor leaky_relu(const Tensor& x, double negative_slope);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor abs(const Tensor& x);
// Zeroes each element with probability p and scales the rest by 1/(1-p) when training;
// the identity otherwise. The mask comes from g (Philox), so CPU and cuda drop the same elements.
Tensor dropout(const Tensor& x, double p, bool training, Rng& g);

// Data-parallel training splits a global batch of ranks * per_rank samples into one share per
// rank. While a DropoutShardGuard is alive on a thread, dropout there draws the masks that the
// same samples get in the single-process run of the global batch: x's batch is read as segments
// of per_rank samples (a batch [a; b] of two inputs is two segments), segment s standing for
// samples s * ranks * per_rank + rank * per_rank ... of the global tensor. The Philox mask is a
// function of the element index, so each rank computes the global mask and keeps its slices.
struct DropoutShard {
  int64_t rank = 0, ranks = 1, per_rank = 0;
  bool trivial() const { return ranks <= 1; }
};
class DropoutShardGuard {  // RAII, per thread
 public:
  explicit DropoutShardGuard(const DropoutShard& shard);
  ~DropoutShardGuard();
  DropoutShardGuard(const DropoutShardGuard&) = delete;
  DropoutShardGuard& operator=(const DropoutShardGuard&) = delete;

 private:
  DropoutShard prev_;
};

// ---- reductions (core/ops/reduce.cpp): one-element results ---------------------------------
Tensor sum(const Tensor& x);
Tensor mean(const Tensor& x);

// ---- layout (core/ops/concat.cpp) ----------------------------------------------------------
// Concatenation along dim (0 = batch, 1 = channels, ...); other dims must match.
Tensor concat(const std::vector<Tensor>& xs, int dim);
// Views: Tensor::reshape, Tensor::slice_batch.

// ---- convolution (core/ops/conv2d.cpp, conv_transpose2d.cpp) -------------------------------
// x [N, Cin, H, W], w [Cout, Cin, k, k], bias [Cout] or undefined. Zero padding, or with
// PadMode::reflect the padding of reflection_pad2d (p < H and p < W; PyTorch's padding_mode
// "reflect"), which the CPU kernels read from x without a padded copy.
// Output [N, Cout, (H + 2p - k)/s + 1, (W + 2p - k)/s + 1].
enum class PadMode { zeros, reflect };
Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& bias, int stride, int padding,
              PadMode mode = PadMode::zeros);
// x [N, Cin, H, W], w [Cin, Cout, k, k] (PyTorch layout), bias [Cout] or undefined.
// Output [N, Cout, (H - 1)s - 2p + k + output_padding, same for W]; output_padding < stride.
Tensor conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& bias, int stride,
                        int padding, int output_padding);

// ---- padding and normalization (core/ops/reflection_pad2d.cpp, instance_norm2d.cpp) --------
// Reflection (mirror without repeating the edge) by pad on all four sides; pad < H and pad < W.
Tensor reflection_pad2d(const Tensor& x, int pad);
// PyTorch's InstanceNorm2d: per (n, c) plane, (x - mean) / sqrt(biased var + eps), then
// * weight[c] + bias[c] when weight/bias are defined (affine).
Tensor instance_norm2d(const Tensor& x, const Tensor& weight, const Tensor& bias,
                       double eps = 1e-5);
// act(instance_norm2d(x, weight, bias, eps)), act(z) = z > 0 ? z : negative_slope * z (0: ReLU,
// else LeakyReLU), as one op (core/ops/instance_norm2d_act.cpp): one pass on the cpu, and one
// buffer fewer kept for the backward. negative_slope >= 0.
Tensor instance_norm2d_act(const Tensor& x, const Tensor& weight, const Tensor& bias,
                           double negative_slope, double eps = 1e-5);

// ---- losses (core/ops/losses.cpp): mean over all elements, one-element result --------------
// Binary cross-entropy on logits: mean(max(x,0) - x*t + log(1 + exp(-|x|))), stable for any |x|.
Tensor bce_with_logits(const Tensor& logits, const Tensor& target);
Tensor bce_with_logits(const Tensor& logits, double target);
Tensor mse_loss(const Tensor& pred, const Tensor& target);
Tensor mse_loss(const Tensor& pred, double target);
Tensor l1_loss(const Tensor& pred, const Tensor& target);

// ---- structure similarity (core/ops/ssim.cpp, gradient_correlation.cpp, gradient_alignment.cpp)
// Compositions of the ops above (conv2d, concat, instance_norm2d, mul, div, mean ...): no kernels
// of their own, so both devices and the backward come with their parts. x and y are [N, C, H, W]
// of the same shape; the result has one element. Images are taken to live in [-1, 1].
//
// Mean structural similarity (Wang et al. 2004): per (n, c) plane, a window x window Gaussian
// (sigma 1.5) gives the local means, variances and covariance, each valid window position (no
// padding) scores (2 mu_x mu_y + C1)(2 s_xy + C2) / ((mu_x^2 + mu_y^2 + C1)(s_x^2 + s_y^2 + C2))
// with C1 = (0.01 L)^2, C2 = (0.03 L)^2 and data range L = 2; the result is the mean over all
// positions and planes, 1 for x == y. The default window is the paper's 11; window is odd and
// at most H and W (pass 7 for planes smaller than 11).
Tensor ssim(const Tensor& x, const Tensor& y, int window = 11);
// Normalised gradient correlation (Penney et al. 1998): forward differences
// dx(i, j) = x(i, j + 1) - x(i, j) and dy(i, j) = x(i + 1, j) - x(i, j) on the (H-1) x (W-1)
// grid where both exist; per (n, c) plane and direction, the normalised cross-correlation of
// the centred gradients of x and y, cov / sqrt((var_x + eps)(var_y + eps)) (biased variances);
// the result is the mean over planes and both directions, in [-1, 1]: 1 when y = a x + b with
// a > 0, -1 with a < 0, and 0 for a flat plane. H, W >= 2.
Tensor gradient_correlation(const Tensor& x, const Tensor& y, double eps = 1e-6);
// Normalised gradient fields (NGF; Haber & Modersitzki 2006): with the gradients g = (dx, dy)
// of gradient_correlation's forward differences at each pixel of the (H-1) x (W-1) grid,
//   (g_x . g_y)^2 / ((|g_x|^2 + eps^2)(|g_y|^2 + eps^2)),
// the squared cosine of the angle between the two gradients where both are well above eps,
// averaged over the grid and planes: in [0, 1], 1 where the edges of x and y are parallel or
// anti-parallel (so a contrast that flips between the images, as from T1 to T2, costs nothing),
// 0 where they are orthogonal or either image is flat (so f(x, x) of an image with flat areas is
// well under 1: 0.17 on the phantom's T1 slices). eps is the gradient magnitude below which
// a difference stops counting as an edge. The default 0.1 (5 % of the range 2 per pixel) sits
// above the differences of noise (|g| ~ 2 sigma, sigma in [-1, 1] units: ~0.04 at 1 % Rician
// noise, ~0.12 at 3 %) and of 8-bit quantisation (0.008), and below tissue edges (0.3 to 1 on
// the 128 px phantom): with eps at the noise level the score mostly measures how random noise
// gradients line up. H, W >= 2.
Tensor gradient_alignment(const Tensor& x, const Tensor& y, double eps = 0.1);

}  // namespace gan::ops
