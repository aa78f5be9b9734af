// ssim, gradient_correlation and gradient_alignment: see core/ops/ssim.cpp,
// core/ops/gradient_correlation.cpp, core/ops/gradient_alignment.cpp. The cases are in
// tests/ops/op_table.cpp.
// The references below are plain float64 loops over the planes, written from the papers'
// definitions, with no engine op.
#include <cmath>
#include <cstdio>

#include "tests/ops/op_harness.h"

using namespace gan;
using test::OpParams;

namespace {

// How a case's second image is made from its two random inputs v[0], v[1]: independent (y = v[1])
// or related (y = v[0] + v[1], so the similarity is far from 0 and its float32 value keeps its
// relative precision). Both inputs are differentiated either way.
enum class Pair { independent, related };

Tensor second_image(Pair p, const std::vector<Tensor>& v) {
  return p == Pair::related ? ops::add(v[0], v[1]) : v[1];
}

// y as the reference sees it: float64 values.
std::vector<double> second_values(Pair p, const std::vector<Tensor>& v) {
  std::vector<double> y = v[1].to_vector<double>();
  if (p == Pair::related) {
    const double* x = v[0].data<double>();
    for (size_t i = 0; i < y.size(); ++i) y[i] += x[i];
  }
  return y;
}

// ---- SSIM reference ---------------------------------------------------------------------------

double ref_ssim(const double* x, const double* y, int64_t planes, int64_t h, int64_t w, int k) {
  const double sigma = 1.5, c1 = 0.02 * 0.02, c2 = 0.06 * 0.06;  // L = 2
  std::vector<double> g(k);
  double total = 0;
  for (int i = 0; i < k; ++i) {
    const double d = i - (k - 1) / 2.0;
    g[i] = std::exp(-d * d / (2 * sigma * sigma));
    total += g[i];
  }
  double sum = 0;
  int64_t count = 0;
  for (int64_t p = 0; p < planes; ++p) {
    const double* xp = x + p * h * w;
    const double* yp = y + p * h * w;
    for (int64_t i = 0; i + k <= h; ++i)
      for (int64_t j = 0; j + k <= w; ++j) {
        double mx = 0, my = 0, sxx = 0, syy = 0, sxy = 0;
        for (int a = 0; a < k; ++a)
          for (int b = 0; b < k; ++b) {
            const double wt = g[a] * g[b] / (total * total);
            const double xv = xp[(i + a) * w + j + b], yv = yp[(i + a) * w + j + b];
            mx += wt * xv;
            my += wt * yv;
            sxx += wt * xv * xv;
            syy += wt * yv * yv;
            sxy += wt * xv * yv;
          }
        sxx -= mx * mx;
        syy -= my * my;
        sxy -= mx * my;
        sum += (2 * mx * my + c1) * (2 * sxy + c2) / ((mx * mx + my * my + c1) * (sxx + syy + c2));
        ++count;
      }
  }
  return sum / count;
}

// Parameters: window; related (1: y = x + d, 0: y independent of x).
test::OpFns ssim_fns(const OpParams& p) {
  const int window = p.integer("window");
  const Pair pair = p.integer("related") ? Pair::related : Pair::independent;
  return {[pair, window](const std::vector<Tensor>& v) {
            return ops::ssim(v[0], second_image(pair, v), window);
          },
          [pair, window](const std::vector<Tensor>& v) {
            const Shape& sh = v[0].shape();
            std::vector<double> y = second_values(pair, v);
            return Tensor::scalar(ref_ssim(v[0].data<double>(), y.data(), sh[0] * sh[1], sh[2],
                                           sh[3], window),
                                  DType::f64);
          }};
}

// ---- normalised gradient correlation reference ------------------------------------------------

// Mean over planes and both directions of the eps-normalised correlation of forward differences.
double ref_gradient_correlation(const double* x, const double* y, int64_t planes, int64_t h,
                                int64_t w, double eps) {
  const int64_t gh = h - 1, gw = w - 1, n = gh * gw;
  double total = 0;
  for (int64_t p = 0; p < planes; ++p)
    for (int dir = 0; dir < 2; ++dir) {
      std::vector<double> gx(n), gy(n);
      for (int64_t i = 0; i < gh; ++i)
        for (int64_t j = 0; j < gw; ++j) {
          const int64_t at = p * h * w + i * w + j, next = dir == 0 ? at + 1 : at + w;
          gx[i * gw + j] = x[next] - x[at];
          gy[i * gw + j] = y[next] - y[at];
        }
      double mx = 0, my = 0;
      for (int64_t q = 0; q < n; ++q) {
        mx += gx[q] / n;
        my += gy[q] / n;
      }
      double vx = 0, vy = 0, cov = 0;
      for (int64_t q = 0; q < n; ++q) {
        vx += (gx[q] - mx) * (gx[q] - mx) / n;
        vy += (gy[q] - my) * (gy[q] - my) / n;
        cov += (gx[q] - mx) * (gy[q] - my) / n;
      }
      total += cov / std::sqrt((vx + eps) * (vy + eps));
    }
  return total / (2 * planes);
}

// Parameters: eps; related (1: y = x + d, 0: y independent of x).
test::OpFns gradient_correlation_fns(const OpParams& p) {
  const double eps = p["eps"];
  const Pair pair = p.integer("related") ? Pair::related : Pair::independent;
  return {[pair, eps](const std::vector<Tensor>& v) {
            return ops::gradient_correlation(v[0], second_image(pair, v), eps);
          },
          [pair, eps](const std::vector<Tensor>& v) {
            const Shape& sh = v[0].shape();
            std::vector<double> y = second_values(pair, v);
            return Tensor::scalar(ref_gradient_correlation(v[0].data<double>(), y.data(),
                                                           sh[0] * sh[1], sh[2], sh[3], eps),
                                  DType::f64);
          }};
}

// ---- normalised gradient fields reference -----------------------------------------------------

// Mean over planes and grid pixels of (g_x . g_y)^2 / ((|g_x|^2 + eps^2)(|g_y|^2 + eps^2)), g the
// forward differences (x(i, j + 1) - x(i, j), x(i + 1, j) - x(i, j)).
double ref_gradient_alignment(const double* x, const double* y, int64_t planes, int64_t h,
                              int64_t w, double eps) {
  double total = 0;
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t i = 0; i + 1 < h; ++i)
      for (int64_t j = 0; j + 1 < w; ++j) {
        const int64_t at = p * h * w + i * w + j;
        const double xj = x[at + 1] - x[at], xi = x[at + w] - x[at];
        const double yj = y[at + 1] - y[at], yi = y[at + w] - y[at];
        const double dot = xj * yj + xi * yi;
        total += dot * dot / ((xj * xj + xi * xi + eps * eps) * (yj * yj + yi * yi + eps * eps));
      }
  return total / (planes * (h - 1) * (w - 1));
}

// Parameters: eps; related (1: y = x + d, 0: y independent of x).
test::OpFns gradient_alignment_fns(const OpParams& p) {
  const double eps = p["eps"];
  const Pair pair = p.integer("related") ? Pair::related : Pair::independent;
  return {[pair, eps](const std::vector<Tensor>& v) {
            return ops::gradient_alignment(v[0], second_image(pair, v), eps);
          },
          [pair, eps](const std::vector<Tensor>& v) {
            const Shape& sh = v[0].shape();
            std::vector<double> y = second_values(pair, v);
            return Tensor::scalar(ref_gradient_alignment(v[0].data<double>(), y.data(),
                                                         sh[0] * sh[1], sh[2], sh[3], eps),
                                  DType::f64);
          }};
}

Tensor planes_of(const std::vector<double>& v, Shape s) { return Tensor::from_vector(v, s); }

}  // namespace

GAN_OP_FACTORY(ssim, ssim_fns)
GAN_OP_FACTORY(gradient_correlation, gradient_correlation_fns)
GAN_OP_FACTORY(gradient_alignment, gradient_alignment_fns)

TEST_CASE("ssim of an image with itself is 1, and ssim is symmetric", "[ssim]") {
  Rng g(5);
  for (DType dt : {DType::f64, DType::f32}) {
    Tensor x = Tensor::uniform({2, 3, 16, 16}, g, -1, 1, dt);
    Tensor y = Tensor::uniform({2, 3, 16, 16}, g, -1, 1, dt);
    CHECK(ops::ssim(x, x).item() == Approx(1.0).margin(dt == DType::f64 ? 1e-12 : 1e-6));
    CHECK(ops::ssim(x, y, 7).item() ==
          Approx(ops::ssim(y, x, 7).item()).margin(dt == DType::f64 ? 1e-12 : 1e-6));
  }
}

TEST_CASE("ssim of constant planes is the luminance term (2ab + C1) / (a^2 + b^2 + C1)", "[ssim]") {
  // No variance anywhere: the contrast-structure factor is C2 / C2 = 1. C1 = (0.01 * 2)^2.
  const double c1 = 4e-4;
  for (auto [a, b] : {std::pair{0.5, -0.5}, std::pair{0.3, 0.6}, std::pair{-0.2, -0.2}}) {
    Tensor x = Tensor::full({1, 2, 12, 12}, a, DType::f64);
    Tensor y = Tensor::full({1, 2, 12, 12}, b, DType::f64);
    INFO("a " << a << ", b " << b);
    CHECK(ops::ssim(x, y).item() == Approx((2 * a * b + c1) / (a * a + b * b + c1)).epsilon(1e-12));
  }
}

TEST_CASE("ssim falls as noise is added", "[ssim]") {
  Rng g(6);
  Tensor x = Tensor::uniform({1, 1, 32, 32}, g, -1, 1, DType::f64);
  Tensor noise = Tensor::uniform({1, 1, 32, 32}, g, -1, 1, DType::f64);
  double previous = 1.0;
  for (double level : {0.05, 0.2, 0.5, 1.0}) {
    double s = ops::ssim(x, ops::add(x, ops::mul(noise, level))).item();
    INFO("noise " << level << ": ssim " << s);
    CHECK(s < previous);
    previous = s;
  }
  CHECK(previous < 0.6);
}

TEST_CASE("ssim rejects mismatched shapes and bad windows, naming the op", "[ssim]") {
  Tensor a = Tensor::zeros({1, 1, 12, 12}), b = Tensor::zeros({1, 1, 12, 13});
  CHECK_THROWS_WITH(ops::ssim(a, b), Catch::Contains("ssim") && Catch::Contains("[1, 1, 12, 13]"));
  CHECK_THROWS_WITH(ops::ssim(a, a, 13), Catch::Contains("ssim") && Catch::Contains("window 13"));
  CHECK_THROWS_WITH(ops::ssim(a, a, 4), Catch::Contains("window must be odd"));
  Tensor flat = Tensor::zeros({4, 12, 12});
  CHECK_THROWS_WITH(ops::ssim(flat, flat), Catch::Contains("ssim"));
}

TEST_CASE("gradient_correlation: 1 for y = 3x + 1, -1 for y = -x", "[gradient_correlation]") {
  Rng g(7);
  for (DType dt : {DType::f64, DType::f32}) {
    INFO(dtype_name(dt));
    Tensor x = Tensor::uniform({2, 3, 12, 13}, g, -1, 1, dt);
    // The variances of random differences are ~0.7: eps = 1e-6 moves the result by ~1e-6.
    CHECK(ops::gradient_correlation(x, ops::affine(x, 3.0, 1.0)).item() == Approx(1.0).margin(1e-5));
    CHECK(ops::gradient_correlation(x, ops::neg(x)).item() == Approx(-1.0).margin(1e-5));
    CHECK(ops::gradient_correlation(x, x).item() == Approx(1.0).margin(1e-5));
  }
}

TEST_CASE("gradient_correlation of a known pair, by hand", "[gradient_correlation]") {
  // Two 2x3 planes: a 1x2 grid of differences per direction.
  // Channel 0: x = [0 1 3; 0 0 0], y = [0 2 3; 0 0 9]. dx: x [1 2], y [2 1]: correlation -1;
  //   dy: x [0 -1], y [0 -2]: +1 (y's corner value 9 is in no difference of the grid).
  // Channel 1: x = y = [0 1 3; 2 0 1]: dx [1 2], dy [2 -1]: +1 and +1.
  // Mean over the four (channel, direction) pairs: (-1 + 1 + 1 + 1) / 4 = 0.5.
  Tensor x = planes_of({0, 1, 3, 0, 0, 0, 0, 1, 3, 2, 0, 1}, {1, 2, 2, 3});
  Tensor y = planes_of({0, 2, 3, 0, 0, 9, 0, 1, 3, 2, 0, 1}, {1, 2, 2, 3});
  CHECK(ops::gradient_correlation(x, y).item() == Approx(0.5).margin(1e-5));
  CHECK(ops::gradient_correlation(x, y, 1e-12).item() == Approx(0.5).epsilon(1e-9));
}

TEST_CASE("gradient_correlation of a flat plane is 0 with finite gradients", "[gradient_correlation]") {
  Rng g(8);
  Tensor x = Tensor::full({1, 1, 8, 8}, 0.3, DType::f64);
  Tensor y = Tensor::uniform({1, 1, 8, 8}, g, -1, 1, DType::f64);
  x.set_requires_grad(true);
  y.set_requires_grad(true);
  Tensor r = ops::gradient_correlation(x, y);
  CHECK(r.item() == Approx(0.0).margin(1e-12));
  r.backward();
  for (const Tensor& t : {x, y})
    for (double v : t.grad().to_vector<double>()) CHECK(std::isfinite(v));
}

TEST_CASE("gradient_correlation rejects bad shapes and eps, naming the op", "[gradient_correlation]") {
  Tensor a = Tensor::zeros({1, 1, 6, 6}), b = Tensor::zeros({1, 2, 6, 6});
  CHECK_THROWS_WITH(ops::gradient_correlation(a, b),
                    Catch::Contains("gradient_correlation") && Catch::Contains("[1, 2, 6, 6]"));
  Tensor row = Tensor::zeros({1, 1, 1, 6});
  CHECK_THROWS_WITH(ops::gradient_correlation(row, row), Catch::Contains("at least 2 x 2"));
  CHECK_THROWS_WITH(ops::gradient_correlation(a, a, 0.0), Catch::Contains("eps must be positive"));
}

namespace {

// The mean over the grid of (|g|^2 / (|g|^2 + e2))^a (|g|^2 / (|g|^2 + e2 / c^2))^b for x's own
// gradients g: f(x, c x + d) = that with a = b = 1, f(x, x) with a = 2, b = 0.
double own_gradient_mean(const Tensor& x, double e2, double c, int a, int b) {
  std::vector<double> v = x.to_vector<double>();
  const int64_t planes = x.size(0) * x.size(1), h = x.size(2), w = x.size(3);
  double total = 0;
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t i = 0; i + 1 < h; ++i)
      for (int64_t j = 0; j + 1 < w; ++j) {
        const int64_t at = p * h * w + i * w + j;
        const double gj = v[at + 1] - v[at], gi = v[at + w] - v[at], n = gj * gj + gi * gi;
        total += std::pow(n / (n + e2), a) * std::pow(n / (n + e2 / (c * c)), b);
      }
  return total / (planes * (h - 1) * (w - 1));
}

// One [1, 1, n, n] plane of f(i, j).
template <class F>
Tensor plane(int64_t n, F f) {
  std::vector<double> v(static_cast<size_t>(n * n));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) v[i * n + j] = f(double(i), double(j));
  return planes_of(v, {1, 1, n, n});
}

}  // namespace

TEST_CASE("gradient_alignment of x with x, -x and 3x + 1", "[gradient_alignment]") {
  Rng g(9);
  for (DType dt : {DType::f64, DType::f32}) {
    INFO(dtype_name(dt));
    const double tol = dt == DType::f64 ? 1e-12 : 1e-5;
    Tensor x = Tensor::uniform({2, 3, 12, 13}, g, -1, 1, dt);
    const double e = 0.1, self = ops::gradient_alignment(x, x, e).item();
    // Per pixel (|g|^2)^2 / (|g|^2 + eps^2)^2: near 1 on a textured image, nearer for smaller eps.
    CHECK(self == Approx(own_gradient_mean(x, e * e, 1, 2, 0)).margin(tol));
    CHECK(self > 0.9);
    CHECK(self < 1);
    CHECK(ops::gradient_alignment(x, x, 1e-3).item() > 0.999);
    // A contrast flip costs nothing, and the measure is symmetric.
    CHECK(ops::gradient_alignment(x, ops::neg(x), e).item() == Approx(self).margin(tol));
    Tensor y = Tensor::uniform({2, 3, 12, 13}, g, -1, 1, dt);
    CHECK(ops::gradient_alignment(x, y, e).item() ==
          Approx(ops::gradient_alignment(y, x, e).item()).margin(tol));
    // y = 3x + 1: gradients 3g, |3g|^2 + eps^2 = 9 (|g|^2 + eps^2 / 9): closer to 1 than f(x, x).
    const double scaled = ops::gradient_alignment(x, ops::affine(x, 3.0, 1.0), e).item();
    CHECK(scaled == Approx(own_gradient_mean(x, e * e, 3, 1, 1)).margin(tol));
    CHECK(scaled > self + 1e-4);
  }
}

TEST_CASE("gradient_alignment of stripes: 0 across, 1 along whatever the contrast",
          "[gradient_alignment]") {
  auto f = [](const Tensor& x, const Tensor& y) {
    return ops::gradient_alignment(x, y, 0.01).item();
  };
  // Stripes along i against stripes along j: every pair of gradients is orthogonal.
  Tensor across_j = plane(24, [](double i, double j) { return std::sin(0.7 * j); });
  Tensor across_i = plane(24, [](double i, double j) { return std::sin(0.7 * i); });
  CHECK(f(across_j, across_i) == Approx(0.0).margin(1e-12));
  // Diagonal stripes at +45 and -45 degrees: orthogonal but for the forward differences, whose
  // two directions sit half a pixel apart (0.05 here, mostly near the crests, where |g| is small).
  Tensor diag_up = plane(24, [](double i, double j) { return std::sin(0.15 * (i + j)); });
  Tensor diag_down = plane(24, [](double i, double j) { return std::sin(0.15 * (i - j)); });
  CHECK(f(diag_up, diag_down) < 0.1);
  CHECK(f(diag_up, diag_up) > 0.9);
  // Any other profile along the same axis: its gradients are parallel or anti-parallel to x's,
  // so the score is that of x with itself but for pixels where a gradient is under eps.
  Tensor flipped = plane(24, [](double i, double j) {
    return std::cos(1.4 * j) - std::sin(0.7 * j);
  });
  CHECK(f(across_j, flipped) > 0.8);
  CHECK(f(across_j, flipped) > f(across_j, across_i) + 0.8);
}

TEST_CASE("gradient_alignment: a T1/T2-like contrast flip keeps the score, unlike NGC",
          "[gradient_alignment]") {
  // Nested squares of background, CSF, grey and white matter with T1- and T2-like values: the
  // CSF and grey/white edges flip polarity between the two, the outer edge keeps it.
  auto tissue = [](double bg, double csf, double gm, double wm) {
    return plane(32, [=](double i, double j) {
      const double r = std::max(std::abs(i - 15.5), std::abs(j - 15.5));
      return r > 13 ? bg : r > 9 ? csf : r > 5 ? gm : wm;
    });
  };
  Tensor t1 = tissue(-1, -0.6, 0.2, 0.6), t2 = tissue(-1, 0.9, 0.1, -0.2);
  const double self = ops::gradient_alignment(t1, t1, 0.01).item();
  CHECK(ops::gradient_alignment(t1, t2, 0.01).item() == Approx(self).epsilon(0.01));
  CHECK(ops::gradient_correlation(t1, t2).item() < 0.5);
}

TEST_CASE("gradient_alignment of a flat plane is 0 with finite gradients", "[gradient_alignment]") {
  Rng g(10);
  Tensor x = Tensor::full({1, 1, 8, 8}, 0.3, DType::f64);
  Tensor y = Tensor::uniform({1, 1, 8, 8}, g, -1, 1, DType::f64);
  for (Tensor other : {y, Tensor::full({1, 1, 8, 8}, -0.5, DType::f64)}) {
    Tensor a = x.detach(), b = other.detach();
    a.set_requires_grad(true);
    b.set_requires_grad(true);
    Tensor r = ops::gradient_alignment(a, b);
    CHECK(r.item() == Approx(0.0).margin(1e-12));
    r.backward();
    for (const Tensor& t : {a, b})
      for (double v : t.grad().to_vector<double>()) CHECK(std::isfinite(v));
  }
}

TEST_CASE("gradient_alignment rejects bad shapes and eps, naming the op", "[gradient_alignment]") {
  Tensor a = Tensor::zeros({1, 1, 6, 6}), b = Tensor::zeros({1, 1, 6, 5});
  CHECK_THROWS_WITH(ops::gradient_alignment(a, b),
                    Catch::Contains("gradient_alignment") && Catch::Contains("[1, 1, 6, 5]"));
  Tensor column = Tensor::zeros({1, 1, 6, 1});
  CHECK_THROWS_WITH(ops::gradient_alignment(column, column),
                    Catch::Contains("gradient_alignment") && Catch::Contains("at least 2 x 2"));
  CHECK_THROWS_WITH(ops::gradient_alignment(a, a, -0.1), Catch::Contains("eps must be positive"));
  Tensor flat = Tensor::zeros({6, 6});
  CHECK_THROWS_WITH(ops::gradient_alignment(flat, flat), Catch::Contains("gradient_alignment"));
}
