// conv2d: see core/ops/conv2d.cpp and kernels/cpu/conv2d.h. The table's cases
// (tests/ops/op_table.cpp) and the larger ones here cover every kernel path: im2col + GEMM (chunks
// inside one image and across images, several rounds of chunks), the 1x1 pointwise path, and the
// direct path for few output channels.
#include <stdexcept>

#include "core/device.h"
#include "tests/ops/op_harness.h"

using namespace gan;
using test::OpParams;

namespace {

struct Conv {
  int64_t n, c_in, h, w, c_out, k;
  int stride, pad;
  bool bias;
  bool reflect = false;  // PadMode::reflect: padded taps read the mirrored element
  int64_t h_out() const { return (h + 2 * pad - k) / stride + 1; }
  int64_t w_out() const { return (w + 2 * pad - k) / stride + 1; }
};

// The input index a tap reads, or -1 in zero padding (reflection: mirrored about the edge).
int64_t tap_index(int64_t i, int64_t n, bool reflect) {
  if (reflect) return i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i;
  return i < 0 || i >= n ? -1 : i;
}

// Plain 7-loop convolution; b may be null.
std::vector<double> ref_conv(const Conv& c, const double* x, const double* w, const double* b) {
  std::vector<double> y(size_t(c.n * c.c_out * c.h_out() * c.w_out()));
  size_t i = 0;
  for (int64_t n = 0; n < c.n; ++n)
    for (int64_t co = 0; co < c.c_out; ++co)
      for (int64_t ho = 0; ho < c.h_out(); ++ho)
        for (int64_t wo = 0; wo < c.w_out(); ++wo) {
          double s = b ? b[co] : 0.0;
          for (int64_t ci = 0; ci < c.c_in; ++ci)
            for (int64_t kh = 0; kh < c.k; ++kh)
              for (int64_t kw = 0; kw < c.k; ++kw) {
                int64_t hi = tap_index(ho * c.stride + kh - c.pad, c.h, c.reflect),
                        wi = tap_index(wo * c.stride + kw - c.pad, c.w, c.reflect);
                if (hi < 0 || wi < 0) continue;
                s += x[((n * c.c_in + ci) * c.h + hi) * c.w + wi] *
                     w[((co * c.c_in + ci) * c.k + kh) * c.k + kw];
              }
          y[i++] = s;
        }
  return y;
}

// The same loops, accumulating the gradients of sum(y * gy) into dx and dw.
void ref_conv_grads(const Conv& c, const double* x, const double* w, const double* gy,
                    std::vector<double>& dx, std::vector<double>& dw) {
  dx.assign(size_t(c.n * c.c_in * c.h * c.w), 0.0);
  dw.assign(size_t(c.c_out * c.c_in * c.k * c.k), 0.0);
  size_t i = 0;
  for (int64_t n = 0; n < c.n; ++n)
    for (int64_t co = 0; co < c.c_out; ++co)
      for (int64_t ho = 0; ho < c.h_out(); ++ho)
        for (int64_t wo = 0; wo < c.w_out(); ++wo, ++i)
          for (int64_t ci = 0; ci < c.c_in; ++ci)
            for (int64_t kh = 0; kh < c.k; ++kh)
              for (int64_t kw = 0; kw < c.k; ++kw) {
                int64_t hi = tap_index(ho * c.stride + kh - c.pad, c.h, c.reflect),
                        wi = tap_index(wo * c.stride + kw - c.pad, c.w, c.reflect);
                if (hi < 0 || wi < 0) continue;
                size_t xi = size_t(((n * c.c_in + ci) * c.h + hi) * c.w + wi);
                size_t wj = size_t(((co * c.c_in + ci) * c.k + kh) * c.k + kw);
                dx[xi] += gy[i] * w[wj];
                dw[wj] += gy[i] * x[xi];
              }
}

std::string describe(const Conv& c) {
  return "n" + std::to_string(c.n) + " " + std::to_string(c.c_in) + "->" +
         std::to_string(c.c_out) + " k" + std::to_string(c.k) + " s" + std::to_string(c.stride) +
         " p" + std::to_string(c.pad) + (c.reflect ? " reflect " : " ") + std::to_string(c.h) +
         "x" + std::to_string(c.w) +
         (c.bias ? " bias" : " no bias");
}

// x = {input [n, c_in, h, w], weight [c_out, c_in, k, k], bias [c_out] when there is one}.
Conv geometry(const std::vector<Tensor>& x, int stride, int pad, bool reflect) {
  return Conv{x[0].size(0), x[0].size(1), x[0].size(2), x[0].size(3), x[1].size(0),
              x[1].size(2), stride, pad, x.size() > 2, reflect};
}

// Parameters: stride, pad, and reflect (1: PadMode::reflect; absent: zero padding).
test::OpFns conv2d_fns(const OpParams& p) {
  const int stride = p.integer("stride"), pad = p.integer("pad");
  const bool reflect = p.has("reflect") && p.integer("reflect") == 1;
  const ops::PadMode mode = reflect ? ops::PadMode::reflect : ops::PadMode::zeros;
  return {[=](const std::vector<Tensor>& x) {
            return ops::conv2d(x[0], x[1], x.size() > 2 ? x[2] : Tensor(), stride, pad, mode);
          },
          [=](const std::vector<Tensor>& x) {
            const Conv c = geometry(x, stride, pad, reflect);
            auto y = ref_conv(c, x[0].data<double>(), x[1].data<double>(),
                              c.bias ? x[2].data<double>() : nullptr);
            return Tensor::from_vector(y, {c.n, c.c_out, c.h_out(), c.w_out()});
          }};
}

}  // namespace

GAN_OP_FACTORY(conv2d, conv2d_fns)

// Shapes large enough for several rounds of chunks (which the finite-difference check would make
// slow): forward and both gradients against the reference loops.
TEST_CASE("conv2d many chunks: forward and gradients match the loops", "[conv2d]") {
  for (const Conv& c : {Conv{2, 64, 17, 29, 8, 3, 1, 1, true}, Conv{1, 48, 33, 31, 24, 4, 2, 1, false},
                        Conv{2, 64, 9, 9, 2, 3, 1, 1, true},
                        // reflection read by im2col / col2im (ResNet blocks and its 7x7 layers)
                        Conv{2, 64, 17, 29, 8, 3, 1, 1, true, true},
                        Conv{1, 3, 37, 35, 16, 7, 1, 3, false, true},
                        Conv{1, 24, 13, 15, 8, 3, 2, 1, true, true}}) {
    INFO(describe(c));
    for (DType t : {DType::f64, DType::f32}) {
      Rng g(5);
      Tensor x = Tensor::uniform({c.n, c.c_in, c.h, c.w}, g, -1, 1, t).set_requires_grad(true);
      Tensor w = Tensor::uniform({c.c_out, c.c_in, c.k, c.k}, g, -1, 1, t).set_requires_grad(true);
      Tensor b = c.bias ? Tensor::uniform({c.c_out}, g, -1, 1, t) : Tensor();
      Tensor y = ops::conv2d(x, w, b, c.stride, c.pad,
                             c.reflect ? ops::PadMode::reflect : ops::PadMode::zeros);
      Tensor gy = Tensor::uniform(y.shape(), g, -1, 1, t);
      ops::sum(ops::mul(y, gy)).backward();

      auto x64 = x.to_vector<double>(), w64 = w.to_vector<double>(), gy64 = gy.to_vector<double>();
      std::vector<double> b64 = c.bias ? b.to_vector<double>() : std::vector<double>();
      std::vector<double> dx, dw;
      ref_conv_grads(c, x64.data(), w64.data(), gy64.data(), dx, dw);
      double tol = t == DType::f64 ? 1e-12 : 1e-5;
      CHECK(test::rel_l2(y.to_vector<double>(),
                         ref_conv(c, x64.data(), w64.data(), c.bias ? b64.data() : nullptr)) < tol);
      CHECK(test::rel_l2(x.grad().to_vector<double>(), dx) < tol);
      CHECK(test::rel_l2(w.grad().to_vector<double>(), dw) < tol);
    }
  }
}

TEST_CASE("conv2d skips the data gradient when x needs none, and dw stays right", "[conv2d]") {
  Conv c{2, 5, 9, 7, 6, 3, 2, 1, true};
  Rng g(11);
  Tensor x = Tensor::uniform({c.n, c.c_in, c.h, c.w}, g, -1, 1, DType::f64);  // no grad
  Tensor w = Tensor::uniform({c.c_out, c.c_in, c.k, c.k}, g, -1, 1, DType::f64).set_requires_grad(true);
  Tensor b = Tensor::uniform({c.c_out}, g, -1, 1, DType::f64).set_requires_grad(true);
  Tensor y = ops::conv2d(x, w, b, c.stride, c.pad);
  Tensor gy = Tensor::uniform(y.shape(), g, -1, 1, DType::f64);
  ops::sum(ops::mul(y, gy)).backward();
  REQUIRE_FALSE(x.grad().defined());
  std::vector<double> dx, dw;
  ref_conv_grads(c, x.data<double>(), w.data<double>(), gy.data<double>(), dx, dw);
  CHECK(test::rel_l2(w.grad().to_vector<double>(), dw) < 1e-12);
  std::vector<double> db(size_t(c.c_out), 0.0);
  for (int64_t i = 0; i < gy.numel(); ++i) db[size_t((i / (y.size(2) * y.size(3))) % c.c_out)] += gy.data<double>()[i];
  CHECK(test::rel_l2(b.grad().to_vector<double>(), db) < 1e-12);
}

TEST_CASE("conv2d rejects bad shapes, naming the op and the shapes", "[conv2d]") {
  Tensor x = Tensor::zeros({1, 3, 8, 8}), w = Tensor::zeros({4, 3, 3, 3});
  REQUIRE_THROWS_WITH(ops::conv2d(x, Tensor::zeros({4, 2, 3, 3}), Tensor(), 1, 1),
                      Catch::Contains("conv2d") && Catch::Contains("[1, 3, 8, 8]") &&
                          Catch::Contains("[4, 2, 3, 3]"));
  REQUIRE_THROWS_AS(ops::conv2d(x, Tensor::zeros({4, 3, 3, 2}), Tensor(), 1, 1), std::invalid_argument);
  REQUIRE_THROWS_WITH(ops::conv2d(x, Tensor::zeros({4, 3, 11, 11}), Tensor(), 1, 1),
                      Catch::Contains("conv2d") && Catch::Contains("kernel larger"));
  REQUIRE_THROWS_AS(ops::conv2d(x, w, Tensor::zeros({3}), 1, 1), std::invalid_argument);
  REQUIRE_THROWS_AS(ops::conv2d(x, w, Tensor(), 0, 1), std::invalid_argument);
  REQUIRE_THROWS_AS(ops::conv2d(x, w, Tensor(), 1, -1), std::invalid_argument);
  REQUIRE_THROWS_AS(ops::conv2d(Tensor::zeros({3, 8, 8}), w, Tensor(), 1, 1), std::invalid_argument);
  REQUIRE_THROWS_WITH(ops::conv2d(x, Tensor::zeros({4, 3, 3, 3}, DType::f64), Tensor(), 1, 1),
                      Catch::Contains("conv2d") && Catch::Contains("dtype"));
  CHECK_NOTHROW(ops::conv2d(x, Tensor::zeros({4, 3, 10, 10}), Tensor(), 1, 1));  // k == H + 2p
  // Reflection mirrors without repeating the edge: the padding must stay below H and W.
  const Tensor w9 = Tensor::zeros({4, 3, 9, 9});
  REQUIRE_THROWS_WITH(ops::conv2d(x, w9, Tensor(), 1, 8, ops::PadMode::reflect),
                      Catch::Contains("conv2d") && Catch::Contains("reflection padding 8"));
  CHECK_NOTHROW(ops::conv2d(x, w9, Tensor(), 1, 7, ops::PadMode::reflect));
}

TEST_CASE("conv2d on cuda follows the process's conv math (tf32: tensor cores)", "[conv2d][cuda][tf32]") {
  test::require_cuda_device_or_skip();
  REQUIRE(device::conv_math() == "fp32");
  REQUIRE_THROWS_AS(device::set_conv_math("fp16"), std::invalid_argument);
  struct Restore {
    ~Restore() { device::set_conv_math("fp32"); }
  } restore;
  // 64 output channels: the forward and weight-gradient GEMMs (64 rows) go to the TF32 variant;
  // the data gradient's 8 rows stay FP32.
  Rng g(31);
  const Tensor x = Tensor::uniform({2, 8, 12, 12}, g, -1.0, 1.0);
  const Tensor w = Tensor::uniform({64, 8, 3, 3}, g, -1.0, 1.0);
  const Tensor up = Tensor::uniform({2, 64, 12, 12}, g, -1.0, 1.0);
  auto run = [&](Device d) {
    Tensor xd = x.to(d).detach(), wd = w.to(d).detach();  // fresh leaves per run
    xd.set_requires_grad(true);
    wd.set_requires_grad(true);
    Tensor y = ops::conv2d(xd, wd, Tensor(), 1, 1);
    ops::sum(ops::mul(y, up.to(d))).backward();
    return std::vector<std::vector<double>>{y.to_vector<double>(), xd.grad().to_vector<double>(),
                                            wd.grad().to_vector<double>()};
  };
  const auto cpu = run(Device::cpu);
  const auto fp32 = run(Device::cuda);
  device::set_conv_math("tf32");
  REQUIRE(device::conv_math() == "tf32");
  const auto tf32 = run(Device::cuda);
  // FP32 agrees to float rounding; TF32 (10 mantissa bits) to ~1e-4 relative, visibly coarser.
  for (int i = 0; i < 3; ++i) CHECK(test::rel_l2(fp32[i], cpu[i]) < 1e-5);
  CHECK(test::rel_l2(tf32[0], cpu[0]) < 2e-3);
  CHECK(test::rel_l2(tf32[0], cpu[0]) > 1e-5);  // it really ran on TF32
  CHECK(test::rel_l2(tf32[1], cpu[1]) < 1e-5);  // data gradient: 8 rows, FP32
  CHECK(test::rel_l2(tf32[2], cpu[2]) < 2e-3);
  CHECK(test::rel_l2(tf32[2], cpu[2]) > 1e-5);
}
