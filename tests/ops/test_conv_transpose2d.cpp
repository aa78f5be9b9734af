// conv_transpose2d: see core/ops/conv_transpose2d.cpp and kernels/cpu/conv_transpose2d.h. The
// cases are in tests/ops/op_table.cpp; the larger ones here run several rounds of chunks.
#include "tests/ops/op_harness.h"

using namespace gan;
using test::OpParams;

namespace {

struct ConvT {
  int64_t n, c_in, h, w, c_out, k;
  int stride, pad, out_pad;
  bool bias;
  int64_t h_out() const { return (h - 1) * stride - 2 * pad + k + out_pad; }
  int64_t w_out() const { return (w - 1) * stride - 2 * pad + k + out_pad; }
};

// Plain loops: every input value spreads over a k x k window of the output. w is [Cin, Cout, k, k].
std::vector<double> ref_conv_t(const ConvT& c, const double* x, const double* w, const double* b) {
  const int64_t ho = c.h_out(), wo = c.w_out();
  std::vector<double> y(size_t(c.n * c.c_out * ho * wo), 0.0);
  for (int64_t n = 0; n < c.n; ++n)
    for (int64_t co = 0; co < c.c_out; ++co)
      for (int64_t i = 0; i < ho * wo; ++i) y[size_t((n * c.c_out + co) * ho * wo + i)] = b ? b[co] : 0.0;
  for (int64_t n = 0; n < c.n; ++n)
    for (int64_t ci = 0; ci < c.c_in; ++ci)
      for (int64_t hi = 0; hi < c.h; ++hi)
        for (int64_t wi = 0; wi < c.w; ++wi)
          for (int64_t co = 0; co < c.c_out; ++co)
            for (int64_t kh = 0; kh < c.k; ++kh)
              for (int64_t kw = 0; kw < c.k; ++kw) {
                int64_t oh = hi * c.stride - c.pad + kh, ow = wi * c.stride - c.pad + kw;
                if (oh < 0 || oh >= ho || ow < 0 || ow >= wo) continue;
                y[size_t(((n * c.c_out + co) * ho + oh) * wo + ow)] +=
                    x[((n * c.c_in + ci) * c.h + hi) * c.w + wi] *
                    w[((ci * c.c_out + co) * c.k + kh) * c.k + kw];
              }
  return y;
}

// The same loops, accumulating the gradients of sum(y * gy) into dx and dw.
void ref_conv_t_grads(const ConvT& c, const double* x, const double* w, const double* gy,
                      std::vector<double>& dx, std::vector<double>& dw) {
  const int64_t ho = c.h_out(), wo = c.w_out();
  dx.assign(size_t(c.n * c.c_in * c.h * c.w), 0.0);
  dw.assign(size_t(c.c_in * c.c_out * c.k * c.k), 0.0);
  for (int64_t n = 0; n < c.n; ++n)
    for (int64_t ci = 0; ci < c.c_in; ++ci)
      for (int64_t hi = 0; hi < c.h; ++hi)
        for (int64_t wi = 0; wi < c.w; ++wi)
          for (int64_t co = 0; co < c.c_out; ++co)
            for (int64_t kh = 0; kh < c.k; ++kh)
              for (int64_t kw = 0; kw < c.k; ++kw) {
                int64_t oh = hi * c.stride - c.pad + kh, ow = wi * c.stride - c.pad + kw;
                if (oh < 0 || oh >= ho || ow < 0 || ow >= wo) continue;
                size_t xi = size_t(((n * c.c_in + ci) * c.h + hi) * c.w + wi);
                size_t wj = size_t(((ci * c.c_out + co) * c.k + kh) * c.k + kw);
                double g = gy[((n * c.c_out + co) * ho + oh) * wo + ow];
                dx[xi] += g * w[wj];
                dw[wj] += g * x[xi];
              }
}

std::string describe(const ConvT& c) {
  return "n" + std::to_string(c.n) + " " + std::to_string(c.c_in) + "->" +
         std::to_string(c.c_out) + " k" + std::to_string(c.k) + " s" + std::to_string(c.stride) +
         " p" + std::to_string(c.pad) + " op" + std::to_string(c.out_pad) + " " +
         std::to_string(c.h) + "x" + std::to_string(c.w) + (c.bias ? " bias" : " no bias");
}

// x = {input [n, c_in, h, w], weight [c_in, c_out, k, k], bias [c_out] when there is one}.
ConvT geometry(const std::vector<Tensor>& x, int stride, int pad, int out_pad) {
  return ConvT{x[0].size(0), x[0].size(1), x[0].size(2), x[0].size(3), x[1].size(1),
               x[1].size(2), stride, pad, out_pad, x.size() > 2};
}

test::OpFns conv_transpose2d_fns(const OpParams& p) {
  const int stride = p.integer("stride"), pad = p.integer("pad"), out_pad = p.integer("out_pad");
  return {[=](const std::vector<Tensor>& x) {
            return ops::conv_transpose2d(x[0], x[1], x.size() > 2 ? x[2] : Tensor(), stride, pad,
                                         out_pad);
          },
          [=](const std::vector<Tensor>& x) {
            const ConvT c = geometry(x, stride, pad, out_pad);
            auto y = ref_conv_t(c, x[0].data<double>(), x[1].data<double>(),
                                c.bias ? x[2].data<double>() : nullptr);
            return Tensor::from_vector(y, {c.n, c.c_out, c.h_out(), c.w_out()});
          }};
}

}  // namespace

GAN_OP_FACTORY(conv_transpose2d, conv_transpose2d_fns)

// Shapes with several rounds of chunks: forward and both gradients against the loops.
TEST_CASE("conv_transpose2d many chunks: forward and gradients match the loops", "[conv_transpose2d]") {
  for (const ConvT& c : {ConvT{2, 64, 13, 11, 24, 4, 2, 1, 0, true},
                         ConvT{1, 48, 16, 17, 32, 3, 2, 1, 1, false},
                         ConvT{2, 3, 9, 7, 48, 3, 1, 1, 0, true}}) {
    INFO(describe(c));
    for (DType t : {DType::f64, DType::f32}) {
      Rng g(6);
      Tensor x = Tensor::uniform({c.n, c.c_in, c.h, c.w}, g, -1, 1, t).set_requires_grad(true);
      Tensor w = Tensor::uniform({c.c_in, c.c_out, c.k, c.k}, g, -1, 1, t).set_requires_grad(true);
      Tensor b = c.bias ? Tensor::uniform({c.c_out}, g, -1, 1, t) : Tensor();
      Tensor y = ops::conv_transpose2d(x, w, b, c.stride, c.pad, c.out_pad);
      Tensor gy = Tensor::uniform(y.shape(), g, -1, 1, t);
      ops::sum(ops::mul(y, gy)).backward();

      auto x64 = x.to_vector<double>(), w64 = w.to_vector<double>(), gy64 = gy.to_vector<double>();
      std::vector<double> b64 = c.bias ? b.to_vector<double>() : std::vector<double>();
      std::vector<double> dx, dw;
      ref_conv_t_grads(c, x64.data(), w64.data(), gy64.data(), dx, dw);
      double tol = t == DType::f64 ? 1e-12 : 1e-5;
      CHECK(test::rel_l2(y.to_vector<double>(),
                         ref_conv_t(c, x64.data(), w64.data(), c.bias ? b64.data() : nullptr)) < tol);
      CHECK(test::rel_l2(x.grad().to_vector<double>(), dx) < tol);
      CHECK(test::rel_l2(w.grad().to_vector<double>(), dw) < tol);
    }
  }
}

TEST_CASE("conv_transpose2d skips the data gradient when x needs none", "[conv_transpose2d]") {
  ConvT c{2, 4, 5, 6, 3, 3, 2, 1, 1, false};
  Rng g(12);
  Tensor x = Tensor::uniform({c.n, c.c_in, c.h, c.w}, g, -1, 1, DType::f64);
  Tensor w = Tensor::uniform({c.c_in, c.c_out, c.k, c.k}, g, -1, 1, DType::f64).set_requires_grad(true);
  Tensor y = ops::conv_transpose2d(x, w, Tensor(), c.stride, c.pad, c.out_pad);
  Tensor gy = Tensor::uniform(y.shape(), g, -1, 1, DType::f64);
  ops::sum(ops::mul(y, gy)).backward();
  REQUIRE_FALSE(x.grad().defined());
  std::vector<double> dx, dw;
  ref_conv_t_grads(c, x.data<double>(), w.data<double>(), gy.data<double>(), dx, dw);
  CHECK(test::rel_l2(w.grad().to_vector<double>(), dw) < 1e-12);
}

TEST_CASE("conv_transpose2d rejects bad shapes, naming the op and the shapes", "[conv_transpose2d]") {
  Tensor x = Tensor::zeros({1, 3, 8, 8}), w = Tensor::zeros({3, 4, 3, 3});
  REQUIRE(ops::conv_transpose2d(x, w, Tensor(), 2, 1, 1).shape() == Shape{1, 4, 16, 16});
  REQUIRE_THROWS_WITH(ops::conv_transpose2d(x, Tensor::zeros({4, 3, 3, 3}), Tensor(), 2, 1, 1),
                      Catch::Contains("conv_transpose2d") && Catch::Contains("[1, 3, 8, 8]") &&
                          Catch::Contains("[4, 3, 3, 3]"));
  REQUIRE_THROWS_WITH(ops::conv_transpose2d(x, w, Tensor(), 2, 1, 2),
                      Catch::Contains("conv_transpose2d") && Catch::Contains("output_padding"));
  REQUIRE_THROWS_AS(ops::conv_transpose2d(x, w, Tensor(), 1, 1, 1), std::invalid_argument);
  REQUIRE_THROWS_AS(ops::conv_transpose2d(x, w, Tensor::zeros({3}), 2, 1, 0), std::invalid_argument);
  REQUIRE_THROWS_AS(ops::conv_transpose2d(Tensor::zeros({1, 3, 1, 1}), w, Tensor(), 1, 2, 0),
                    std::invalid_argument);  // empty output
}
