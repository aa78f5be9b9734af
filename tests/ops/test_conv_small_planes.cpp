// Convolutions on small planes with many channels (the inner layers of a U-Net: 1x1 to 4x4), on a
// team of two threads: the kernels split the output channels between threads there, and the
// transposed convolution's forward takes rank-1 updates for few positions (kernels/cpu/conv2d.h).
// Forward and both gradients against plain loops, float64 and float32.
#include <catch2/catch.hpp>
#include <omp.h>

#include <vector>

#include "core/ops.h"
#include "tests/ops/op_harness.h"

using namespace gan;

namespace {

// A convolution x [n, ci, h, w] * w [co, ci, k, k] -> y [n, co, ho, wo], stride s, zero padding p.
struct Geo {
  int64_t n, ci, h, w, co, k, s, p;
  int64_t ho() const { return (h + 2 * p - k) / s + 1; }
  int64_t wo() const { return (w + 2 * p - k) / s + 1; }
};

// Calls f(x index, w index, y index) for every multiply-add of the convolution.
template <class F>
void for_each_tap(const Geo& g, F&& f) {
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t o = 0; o < g.co; ++o)
      for (int64_t i = 0; i < g.ci; ++i)
        for (int64_t a = 0; a < g.ho(); ++a)
          for (int64_t b = 0; b < g.wo(); ++b)
            for (int64_t kh = 0; kh < g.k; ++kh)
              for (int64_t kw = 0; kw < g.k; ++kw) {
                const int64_t hi = a * g.s + kh - g.p, wi = b * g.s + kw - g.p;
                if (hi < 0 || hi >= g.h || wi < 0 || wi >= g.w) continue;
                f(((n * g.ci + i) * g.h + hi) * g.w + wi, ((o * g.ci + i) * g.k + kh) * g.k + kw,
                  ((n * g.co + o) * g.ho() + a) * g.wo() + b);
              }
}

std::vector<double> values(const Tensor& t) { return t.to_vector<double>(); }

}  // namespace

TEST_CASE("conv2d and conv_transpose2d on small planes with many channels, two threads",
          "[conv2d][conv_transpose2d]") {
  const int threads_before = omp_get_max_threads();
  omp_set_num_threads(2);
  // Large weights (c_out * patch >= 2^18) on planes smaller than the channel count.
  for (const Geo& g : {Geo{1, 128, 4, 4, 256, 4, 2, 1}, Geo{1, 64, 8, 8, 256, 4, 2, 1},
                       Geo{2, 256, 2, 2, 128, 4, 2, 1}}) {
    INFO("x [" << g.n << "," << g.ci << "," << g.h << "," << g.w << "] -> " << g.co << " channels");
    for (DType t : {DType::f64, DType::f32}) {
      const double tol = t == DType::f64 ? 1e-12 : 1e-5;
      Rng gen(4);
      // conv2d: x (big side), w, gy (small side).
      Tensor x = Tensor::uniform({g.n, g.ci, g.h, g.w}, gen, -1, 1, t).set_requires_grad(true);
      Tensor w = Tensor::uniform({g.co, g.ci, g.k, g.k}, gen, -1, 1, t).set_requires_grad(true);
      Tensor y = ops::conv2d(x, w, Tensor(), int(g.s), int(g.p));
      Tensor gy = Tensor::uniform(y.shape(), gen, -1, 1, t);
      ops::sum(ops::mul(y, gy)).backward();
      const auto xv = values(x), wv = values(w), gyv = values(gy);
      std::vector<double> y_ref(gyv.size()), dx_ref(xv.size()), dw_ref(wv.size());
      for_each_tap(g, [&](int64_t xi, int64_t wi, int64_t yi) {
        y_ref[yi] += xv[xi] * wv[wi];
        dx_ref[xi] += gyv[yi] * wv[wi];
        dw_ref[wi] += gyv[yi] * xv[xi];
      });
      CHECK(test::rel_l2(values(y), y_ref) < tol);
      CHECK(test::rel_l2(values(x.grad()), dx_ref) < tol);
      CHECK(test::rel_l2(values(w.grad()), dw_ref) < tol);

      // conv_transpose2d from the small side u [n, co, ho, wo] with weight v [co, ci, k, k]: the
      // adjoint of the same convolution.
      Tensor u = Tensor::uniform(y.shape(), gen, -1, 1, t).set_requires_grad(true);
      Tensor v = Tensor::uniform(w.shape(), gen, -1, 1, t).set_requires_grad(true);
      const int64_t out_pad = g.h - ((g.ho() - 1) * g.s - 2 * g.p + g.k);
      Tensor z = ops::conv_transpose2d(u, v, Tensor(), int(g.s), int(g.p), int(out_pad));
      REQUIRE(z.shape() == x.shape());
      Tensor gz = Tensor::uniform(z.shape(), gen, -1, 1, t);
      ops::sum(ops::mul(z, gz)).backward();
      const auto uv = values(u), vv = values(v), gzv = values(gz);
      std::vector<double> z_ref(gzv.size()), du_ref(uv.size()), dv_ref(vv.size());
      for_each_tap(g, [&](int64_t xi, int64_t wi, int64_t yi) {
        z_ref[xi] += uv[yi] * vv[wi];
        du_ref[yi] += gzv[xi] * vv[wi];
        dv_ref[wi] += uv[yi] * gzv[xi];
      });
      CHECK(test::rel_l2(values(z), z_ref) < tol);
      CHECK(test::rel_l2(values(u.grad()), du_ref) < tol);
      CHECK(test::rel_l2(values(v.grad()), dv_ref) < tol);
    }
  }
  omp_set_num_threads(threads_before);
}
