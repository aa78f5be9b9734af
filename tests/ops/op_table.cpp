// The op table: every case of every op of the engine (Adam's step included), with its inputs
// (shape, value range, distance from a kink, whether it is differentiated), the op's parameters
// and its tolerances (relative L2 errors; a row without them takes OpCase's defaults, float32
// forward 2e-6 and float64 gradient 1e-6; cuda against cpu is 1e-5 for all, in op_harness.cpp).
// From it the harness runs, per op, the forward, gradient and cuda-parity checks
// (tests/ops/op_harness.h), and `test_ops "[perf]"` times every case on each device
// (tests/ops/test_op_perf.cpp). Each op's test file, named in its block, holds its naive float64
// reference and the factory that calls the op with a case's parameters.
// A new op: its block here, and GAN_OP_FACTORY in its test file.
#include "tests/ops/op_harness.h"

namespace gan::test {
namespace {

// add, sub, mul, div: b the same shape as a, a scalar, or per channel; a in [-1, 1], b in
// [b_lo, b_hi].
std::vector<OpCase> broadcast_cases(double b_lo, double b_hi) {
  auto b_of = [=](Shape s) { return in(s).range(b_lo, b_hi); };
  return {{"same shape 2x3x7x5", {in({2, 3, 7, 5}), b_of({2, 3, 7, 5})}},
          {"scalar b over 2x3x13x11", {in({2, 3, 13, 11}), b_of({})}},
          {"per-channel [C] over 2x3x7x5", {in({2, 3, 7, 5}), b_of({3})}},
          {"per-channel [1,C,1,1] over 3x5x4x3", {in({3, 5, 4, 3}), b_of({1, 5, 1, 1})}},
          {"same shape 1-d 37", {in({37}), b_of({37})}}};
}

// Pointwise activations: odd sizes and batch > 1, values in [lo, hi], min_abs off the kink at 0.
std::vector<OpCase> pointwise_cases(double lo, double hi, double min_abs, OpParams params = {}) {
  std::vector<OpCase> r;
  for (Shape s : {Shape{2, 3, 7, 5}, Shape{3, 2, 13, 11}, Shape{37}})
    r.push_back({s.str(), {in(s).range(lo, hi).off_zero(min_abs)}, params});
  return r;
}

// The per-channel weight and bias of an affine instance norm with c channels.
InputSpec norm_weight(int64_t c) { return in({c}).range(0.5, 1.5); }
InputSpec norm_bias(int64_t c) { return in({c}).range(-0.5, 0.5); }

std::vector<OpEntry> rows() {
  return {
      // ---- test_binary.cpp ----------------------------------------------------------------
      {"add", broadcast_cases(-1, 1)},
      {"sub", broadcast_cases(-1, 1)},
      {"mul", broadcast_cases(-1, 1)},
      {"div", broadcast_cases(0.5, 2.0)},  // b away from 0: well conditioned
      {"affine",
       {{"y = -1.5 x + 0.25 on 2x3x7x5", {in({2, 3, 7, 5})}, {{"scale", -1.5}, {"shift", 0.25}}}}},

      // ---- test_reduce.cpp ----------------------------------------------------------------
      {"sum",
       {{"sum of [2, 3, 13, 11]", {in({2, 3, 13, 11})}},
        {"sum of [1, 1, 7, 5]", {in({1, 1, 7, 5})}},
        {"sum of [5000]", {in({5000})}}}},
      {"mean",
       {{"mean of [2, 3, 13, 11]", {in({2, 3, 13, 11})}},
        {"mean of [3, 2, 5, 7]", {in({3, 2, 5, 7})}}}},

      // ---- test_activation.cpp ------------------------------------------------------------
      {"relu", pointwise_cases(-2, 2, 0.05)},
      {"leaky_relu", pointwise_cases(-2, 2, 0.05, {{"slope", 0.2}})},
      {"tanh", pointwise_cases(-4, 4, 0.0)},
      {"sigmoid", pointwise_cases(-6, 6, 0.0)},
      {"abs", pointwise_cases(-2, 2, 0.05)},

      // ---- test_dropout.cpp: the same mask at every call, so finite differences see it ----
      {"dropout",
       {{"p 0.3 [2, 3, 7, 5]", {in({2, 3, 7, 5})}, {{"p", 0.3}}},
        {"p 0.3 [1, 2, 13, 11]", {in({1, 2, 13, 11})}, {{"p", 0.3}}},
        {"p 0.5 [2, 3, 7, 5]", {in({2, 3, 7, 5})}, {{"p", 0.5}}},
        {"p 0.5 [1, 2, 13, 11]", {in({1, 2, 13, 11})}, {{"p", 0.5}}},
        {"p 0.9 [2, 3, 7, 5]", {in({2, 3, 7, 5})}, {{"p", 0.9}}},
        {"p 0.9 [1, 2, 13, 11]", {in({1, 2, 13, 11})}, {{"p", 0.9}}}}},

      // ---- test_concat.cpp ----------------------------------------------------------------
      {"concat",
       {{"dim 0: 2x3x7x5 + 1x3x7x5", {in({2, 3, 7, 5}), in({1, 3, 7, 5})}, {{"dim", 0}}},
        {"dim 1: 2x3x7x5 + 2x1x7x5 + 2x2x7x5",
         {in({2, 3, 7, 5}), in({2, 1, 7, 5}), in({2, 2, 7, 5})},
         {{"dim", 1}}},
        {"dim 2: 2x2x13x11 + 2x2x4x11", {in({2, 2, 13, 11}), in({2, 2, 4, 11})}, {{"dim", 2}}},
        {"dim 3: 2x2x7x5 + 2x2x7x3", {in({2, 2, 7, 5}), in({2, 2, 7, 3})}, {{"dim", 3}}},
        {"dim 0 of 1-d: 5 + 7", {in({5}), in({7})}, {{"dim", 0}}},
        {"dim 1 of 2-d: 3x4 + 3x2", {in({3, 4}), in({3, 2})}, {{"dim", 1}}},
        {"one input", {in({2, 3, 5, 4})}, {{"dim", 1}}}}},

      // ---- test_conv2d.cpp: inputs x [n, c_in, h, w], w [c_out, c_in, k, k], bias [c_out] ----
      {"conv2d",
       {// GEMM path, 3x3 "same"
        {"n2 3->5 k3 s1 p1 7x5 bias", {in({2, 3, 7, 5}), in({5, 3, 3, 3}), in({5})},
         {{"stride", 1}, {"pad", 1}}},
        // stride 2, odd sizes
        {"n2 3->6 k3 s2 p1 13x11 no bias", {in({2, 3, 13, 11}), in({6, 3, 3, 3})},
         {{"stride", 2}, {"pad", 1}}},
        // U-Net down-sampling 4x4 s2
        {"n1 2->8 k4 s2 p1 13x11 bias", {in({1, 2, 13, 11}), in({8, 2, 4, 4}), in({8})},
         {{"stride", 2}, {"pad", 1}}},
        // 7x7 padding 3
        {"n1 2->5 k7 s1 p3 13x11 no bias", {in({1, 2, 13, 11}), in({5, 2, 7, 7})},
         {{"stride", 1}, {"pad", 3}}},
        // chunks across images
        {"n3 3->5 k3 s1 p0 7x5 bias", {in({3, 3, 7, 5}), in({5, 3, 3, 3}), in({5})},
         {{"stride", 1}, {"pad", 0}}},
        // direct path: one output channel, 7x7
        {"n2 3->1 k7 s1 p0 13x11 bias", {in({2, 3, 13, 11}), in({1, 3, 7, 7}), in({1})},
         {{"stride", 1}, {"pad", 0}}},
        // direct path: PatchGAN-like 4x4 s1
        {"n2 5->3 k4 s1 p1 7x5 no bias", {in({2, 5, 7, 5}), in({3, 5, 4, 4})},
         {{"stride", 1}, {"pad", 1}}},
        // direct path, stride 2
        {"n2 3->2 k3 s2 p0 7x5 bias", {in({2, 3, 7, 5}), in({2, 3, 3, 3}), in({2})},
         {{"stride", 2}, {"pad", 0}}},
        // pointwise 1x1 (view and gather chunks)
        {"n3 3->5 k1 s1 p0 7x5 bias", {in({3, 3, 7, 5}), in({5, 3, 1, 1}), in({5})},
         {{"stride", 1}, {"pad", 0}}},
        // 1x1 stride 2 (im2col path)
        {"n2 3->5 k1 s2 p0 7x5 no bias", {in({2, 3, 7, 5}), in({5, 3, 1, 1})},
         {{"stride", 2}, {"pad", 0}}},
        // padding 3 bigger than some output sides
        {"n1 3->6 k4 s1 p3 5x4 bias", {in({1, 3, 5, 4}), in({6, 3, 4, 4}), in({6})},
         {{"stride", 1}, {"pad", 3}}},
        // reflection padding read by im2col (ResNet block), across images
        {"n2 3->5 k3 s1 p1 reflect 7x5 bias", {in({2, 3, 7, 5}), in({5, 3, 3, 3}), in({5})},
         {{"stride", 1}, {"pad", 1}, {"reflect", 1}}},
        // reflection 7x7 padding 3 (ResNet's input layer), stride 2 on odd sizes
        {"n1 2->5 k7 s1 p3 reflect 9x8 no bias", {in({1, 2, 9, 8}), in({5, 2, 7, 7})},
         {{"stride", 1}, {"pad", 3}, {"reflect", 1}}},
        {"n2 3->6 k3 s2 p1 reflect 9x7 bias", {in({2, 3, 9, 7}), in({6, 3, 3, 3}), in({6})},
         {{"stride", 2}, {"pad", 1}, {"reflect", 1}}},
        // reflection on the direct path (ResNet's output layer): a padded copy
        {"n2 3->1 k7 s1 p3 reflect 8x9 bias", {in({2, 3, 8, 9}), in({1, 3, 7, 7}), in({1})},
         {{"stride", 1}, {"pad", 3}, {"reflect", 1}}}}},

      // ---- test_conv_transpose2d.cpp: x [n, c_in, h, w], w [c_in, c_out, k, k], bias [c_out] --
      {"conv_transpose2d",
       {// U-Net up-sampling 4x4 s2 p1
        {"n2 3->5 k4 s2 p1 op0 7x5 bias", {in({2, 3, 7, 5}), in({3, 5, 4, 4}), in({5})},
         {{"stride", 2}, {"pad", 1}, {"out_pad", 0}}},
        // ResNet up-sampling 3x3 s2 p1 op1
        {"n2 3->5 k3 s2 p1 op1 7x5 no bias", {in({2, 3, 7, 5}), in({3, 5, 3, 3})},
         {{"stride", 2}, {"pad", 1}, {"out_pad", 1}}},
        // one output channel (U-Net's last layer)
        {"n1 5->1 k4 s2 p1 op0 4x3 bias", {in({1, 5, 4, 3}), in({5, 1, 4, 4}), in({1})},
         {{"stride", 2}, {"pad", 1}, {"out_pad", 0}}},
        // stride 1
        {"n2 3->6 k3 s1 p1 op0 5x4 bias", {in({2, 3, 5, 4}), in({3, 6, 3, 3}), in({6})},
         {{"stride", 1}, {"pad", 1}, {"out_pad", 0}}},
        // pointwise 1x1
        {"n3 3->5 k1 s1 p0 op0 4x3 bias", {in({3, 3, 4, 3}), in({3, 5, 1, 1}), in({5})},
         {{"stride", 1}, {"pad", 0}, {"out_pad", 0}}},
        // 7x7 p3
        {"n1 2->3 k7 s1 p3 op0 5x4 no bias", {in({1, 2, 5, 4}), in({2, 3, 7, 7})},
         {{"stride", 1}, {"pad", 3}, {"out_pad", 0}}},
        // padding 0, output_padding 1
        {"n2 2->5 k3 s2 p0 op1 4x3 bias", {in({2, 2, 4, 3}), in({2, 5, 3, 3}), in({5})},
         {{"stride", 2}, {"pad", 0}, {"out_pad", 1}}},
        // padding 3, output_padding 1
        {"n1 6->5 k4 s2 p3 op1 3x4 no bias", {in({1, 6, 3, 4}), in({6, 5, 4, 4})},
         {{"stride", 2}, {"pad", 3}, {"out_pad", 1}}},
        // few input channels
        {"n1 3->2 k3 s1 p0 op0 7x5 bias", {in({1, 3, 7, 5}), in({3, 2, 3, 3}), in({2})},
         {{"stride", 1}, {"pad", 0}, {"out_pad", 0}}}}},

      // ---- test_reflection_pad2d.cpp ------------------------------------------------------
      {"reflection_pad2d",
       {{"pad 1 [2, 3, 7, 5]", {in({2, 3, 7, 5})}, {{"pad", 1}}},
        {"pad 1 [1, 2, 13, 11]", {in({1, 2, 13, 11})}, {{"pad", 1}}},
        {"pad 1 [3, 1, 4, 6]", {in({3, 1, 4, 6})}, {{"pad", 1}}},
        {"pad 3 [2, 3, 7, 5]", {in({2, 3, 7, 5})}, {{"pad", 3}}},
        {"pad 3 [1, 2, 13, 11]", {in({1, 2, 13, 11})}, {{"pad", 3}}},
        {"pad 3 [3, 1, 4, 6]", {in({3, 1, 4, 6})}, {{"pad", 3}}},
        {"pad 4 (W - 1) 2x2x7x5", {in({2, 2, 7, 5})}, {{"pad", 4}}},
        {"pad 0", {in({1, 2, 3, 3})}, {{"pad", 0}}}}},

      // ---- test_instance_norm2d.cpp: inputs x, or x, weight, bias (affine) ----------------
      {"instance_norm2d",
       {{"no affine 2x3x7x5", {in({2, 3, 7, 5})}, {{"eps", 1e-5}}},
        {"affine 2x3x7x5", {in({2, 3, 7, 5}), norm_weight(3), norm_bias(3)}, {{"eps", 1e-5}}},
        {"affine 3x2x13x11", {in({3, 2, 13, 11}), norm_weight(2), norm_bias(2)}, {{"eps", 1e-5}}},
        {"no affine 1x4x5x5 eps 1e-3", {in({1, 4, 5, 5})}, {{"eps", 1e-3}}},
        {"affine, values in [100, 101] 2x2x13x11",
         {in({2, 2, 13, 11}).range(100, 101), norm_weight(2), norm_bias(2)},
         {{"eps", 1e-5}}},
        // Planes of two elements: the input gradient is nearly zero and made of rounding noise,
        // so float32 cuda and float32 cpu agree only to about 1e-4 (each is 4e-4 from float64).
        // Checked on the cpu in float64 only.
        {"affine 1x1 plane of 1x2", {in({2, 3, 1, 2}), norm_weight(3), norm_bias(3)},
         {{"eps", 1e-5}}, 2e-6, 1e-6, /*check_device=*/false}}},

      // ---- test_instance_norm2d_act.cpp: norm, then slope 0 (ReLU) or LeakyReLU -----------
      {"instance_norm2d_act",
       {{"relu, no affine 2x3x7x5", {in({2, 3, 7, 5})}, {{"slope", 0.0}, {"eps", 1e-5}}},
        {"leaky 0.2, no affine 2x3x7x5", {in({2, 3, 7, 5})}, {{"slope", 0.2}, {"eps", 1e-5}}},
        {"relu, affine 3x2x13x11", {in({3, 2, 13, 11}), norm_weight(2), norm_bias(2)},
         {{"slope", 0.0}, {"eps", 1e-5}}},
        {"leaky 0.2, affine 1x4x6x6 eps 1e-3", {in({1, 4, 6, 6}), norm_weight(4), norm_bias(4)},
         {{"slope", 0.2}, {"eps", 1e-3}}},
        {"leaky 0.2, 1x1 planes of 1x3", {in({2, 3, 1, 3})}, {{"slope", 0.2}, {"eps", 1e-5}}}}},

      // ---- test_losses.cpp: inputs prediction, target; or prediction and a constant target --
      {"bce_with_logits",
       {{"tensor target [2, 3, 7, 5]",
         {in({2, 3, 7, 5}).range(-4, 4), in({2, 3, 7, 5}).range(0, 1)}},
        {"tensor target [3, 1, 13, 11]",
         {in({3, 1, 13, 11}).range(-4, 4), in({3, 1, 13, 11}).range(0, 1)}},
        {"constant target 0", {in({2, 3, 7, 5}).range(-4, 4)}, {{"target", 0.0}}},
        {"constant target 1", {in({2, 3, 7, 5}).range(-4, 4)}, {{"target", 1.0}}},
        {"constant target 0.9", {in({2, 3, 7, 5}).range(-4, 4)}, {{"target", 0.9}}}}},
      {"mse_loss",
       {{"tensor target [2, 3, 7, 5]", {in({2, 3, 7, 5}), in({2, 3, 7, 5})}},
        {"tensor target [3, 1, 13, 11]", {in({3, 1, 13, 11}), in({3, 1, 13, 11})}},
        {"constant target 0", {in({2, 3, 7, 5})}, {{"target", 0.0}}},
        {"constant target 1", {in({2, 3, 7, 5})}, {{"target", 1.0}}},
        {"constant target 0.5", {in({2, 3, 7, 5})}, {{"target", 0.5}}}}},
      // |pred| >= 0.3 and |target| <= 0.25 keep pred - target at least 0.05 away from the kink.
      {"l1_loss",
       {{"tensor target [2, 3, 7, 5]",
         {in({2, 3, 7, 5}).off_zero(0.3), in({2, 3, 7, 5}).range(-0.25, 0.25)}},
        {"tensor target [3, 1, 13, 11]",
         {in({3, 1, 13, 11}).off_zero(0.3), in({3, 1, 13, 11}).range(-0.25, 0.25)}}}},

      // ---- test_structure.cpp: x in [-1, 1] and d; y = x + d (related 1) or y = d (related 0) --
      {"ssim",
       {{"y = x + d [2, 3, 12, 13] window 11", {in({2, 3, 12, 13}), in({2, 3, 12, 13}).range(-0.5, 0.5)},
         {{"window", 11}, {"related", 1}}},
        {"y = x + d [1, 2, 16, 16] window 7", {in({1, 2, 16, 16}), in({1, 2, 16, 16}).range(-0.5, 0.5)},
         {{"window", 7}, {"related", 1}}},
        // Shifted means: the luminance factor is well below 1.
        {"y = x + d [2, 1, 16, 16] window 11, d in [0.2, 0.6]",
         {in({2, 1, 16, 16}), in({2, 1, 16, 16}).range(0.2, 0.6)}, {{"window", 11}, {"related", 1}}},
        {"independent [1, 2, 16, 16] window 7", {in({1, 2, 16, 16}), in({1, 2, 16, 16})},
         {{"window", 7}, {"related", 0}}},
        // Window 1: no variances, only the luminance factor of every pixel.
        {"y = x + d [1, 2, 5, 6] window 1", {in({1, 2, 5, 6}), in({1, 2, 5, 6}).range(-0.5, 0.5)},
         {{"window", 1}, {"related", 1}}}}},
      {"gradient_correlation",
       {{"y = x + d [2, 3, 12, 13] eps 1e-6", {in({2, 3, 12, 13}), in({2, 3, 12, 13})},
         {{"eps", 1e-6}, {"related", 1}}},
        {"y = x + d [1, 2, 16, 16] eps 1e-6", {in({1, 2, 16, 16}), in({1, 2, 16, 16}).range(-0.5, 0.5)},
         {{"eps", 1e-6}, {"related", 1}}},
        {"independent [2, 1, 16, 16] eps 1e-6", {in({2, 1, 16, 16}), in({2, 1, 16, 16})},
         {{"eps", 1e-6}, {"related", 0}}},
        // A large eps: its place in the denominator matters.
        {"y = x + d [1, 2, 9, 7] eps 0.1", {in({1, 2, 9, 7}), in({1, 2, 9, 7})},
         {{"eps", 0.1}, {"related", 1}}}}},

      // gradient_alignment: x and d uniform in the same range (a small one puts the gradients
      // near eps, where it matters).
      {"gradient_alignment",
       {{"y = x + d [2, 3, 12, 13] eps 0.1", {in({2, 3, 12, 13}), in({2, 3, 12, 13})},
         {{"eps", 0.1}, {"related", 1}}},
        {"independent [1, 2, 16, 16] eps 0.1", {in({1, 2, 16, 16}), in({1, 2, 16, 16})},
         {{"eps", 0.1}, {"related", 0}}},
        {"y = x + d [2, 1, 9, 7] eps 0.01", {in({2, 1, 9, 7}), in({2, 1, 9, 7})},
         {{"eps", 0.01}, {"related", 1}}},
        // Gradients of the order of eps: both terms of each denominator matter.
        {"y = x + d [1, 2, 10, 11] eps 0.1, values in [-0.1, 0.1]",
         {in({1, 2, 10, 11}).range(-0.1, 0.1), in({1, 2, 10, 11}).range(-0.1, 0.1)},
         {{"eps", 0.1}, {"related", 1}}},
        // The smallest planes: one grid pixel each.
        {"independent [3, 2, 2, 2] eps 0.1", {in({3, 2, 2, 2}), in({3, 2, 2, 2})},
         {{"eps", 0.1}, {"related", 0}}}}},

      // ---- test_adam_step.cpp: inputs parameter, gradient (neither differentiated); the
      // result is the change of the parameter over `steps` steps, the difference of two float32
      // values: hence the looser float32 tolerance.
      {"adam",
       {{"37 values", {in({37}).no_grad(), in({37}).off_zero(0.05).no_grad()},
         {{"lr", 0.1}, {"beta1", 0.5}, {"beta2", 0.999}, {"eps", 1e-8}, {"weight_decay", 0.0},
          {"steps", 2}},
         1e-5},
        {"64 values (float4 path)", {in({64}).no_grad(), in({64}).off_zero(0.05).no_grad()},
         {{"lr", 0.1}, {"beta1", 0.5}, {"beta2", 0.999}, {"eps", 1e-8}, {"weight_decay", 0.0},
          {"steps", 2}},
         1e-5},
        {"2x3x5x7, weight decay 0.01",
         {in({2, 3, 5, 7}).no_grad(), in({2, 3, 5, 7}).off_zero(0.05).no_grad()},
         {{"lr", 0.1}, {"beta1", 0.5}, {"beta2", 0.999}, {"eps", 1e-8}, {"weight_decay", 0.01},
          {"steps", 2}},
         1e-5}}},
  };
}

}  // namespace

const std::vector<OpEntry>& op_table_rows() {
  static const std::vector<OpEntry> table = rows();
  return table;
}

const std::vector<OpEntry>& op_table() {
  static const std::vector<OpEntry> table = join_with_factories(op_table_rows());
  return table;
}

}  // namespace gan::test

static const bool gan_op_checks = gan::test::register_op_checks(
    gan::test::op_table_rows(), gan::test::op_table, __FILE__, __LINE__);

TEST_CASE("op table: every op has a factory, every factory has cases, every parameter is used",
          "[op_table]") {
  REQUIRE_NOTHROW(gan::test::op_table());
  CHECK(gan::test::op_table().size() == gan::test::op_factories().size());
}
