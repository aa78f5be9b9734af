// The packed float32 GEMM (kernels/cpu/gemm_packed.h) against a float64 loop, on sizes that cross
// every blocking boundary (micro-tile rows and columns, the depth block, the column block), with
// transposed operands, accumulation and a wider output stride; and the float32 convolutions on
// the packed GEMM against the same convolutions on Eigen's product.
#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <vector>

#include "kernels/cpu/conv2d.h"

using namespace gan::kernels;
using namespace gan::kernels::cpu;

namespace {

std::vector<float> random_floats(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = u(rng);
  return v;
}

struct Problem {
  int64_t m, n, k;
};

// C = C0 (+) A B checked element by element against float64 sums, each within float32 rounding
// of the sum of |a||b| over its products.
void check_gemm(const Problem& p, bool trans_a, bool trans_b, bool accumulate, int64_t extra_ld) {
  // A stored as [m, k] or, transposed, as [k, m]; B as [k, n] or [n, k].
  const std::vector<float> a = random_floats(p.m * p.k, 1), b = random_floats(p.k * p.n, 2);
  const StridedMatrix A = trans_a ? row_major(a.data(), p.k, p.m, p.m).transposed()
                                  : row_major(a.data(), p.m, p.k, p.k);
  const StridedMatrix B = trans_b ? row_major(b.data(), p.n, p.k, p.k).transposed()
                                  : row_major(b.data(), p.k, p.n, p.n);
  const int64_t ldc = p.n + extra_ld;
  const std::vector<float> c0 = random_floats(p.m * ldc, 3);
  std::vector<float> c = c0;
  gemm_packed(A, B, c.data(), ldc, accumulate);
  int64_t bad = 0;
  for (int64_t i = 0; i < p.m; ++i) {
    for (int64_t j = 0; j < ldc; ++j) {
      const double got = c[size_t(i * ldc + j)];
      if (j >= p.n) {  // past the columns of C: untouched
        bad += got != c0[size_t(i * ldc + j)];
        continue;
      }
      double want = accumulate ? c0[size_t(i * ldc + j)] : 0.0, scale = std::abs(want);
      for (int64_t q = 0; q < p.k; ++q) {
        want += double(A.at(i, q)) * double(B.at(q, j));
        scale += std::abs(double(A.at(i, q)) * double(B.at(q, j)));
      }
      bad += std::abs(got - want) > 1e-6 * (scale + 1.0) * std::sqrt(double(p.k) + 1.0);
    }
  }
  INFO("m=" << p.m << " n=" << p.n << " k=" << p.k << " trans_a=" << trans_a
            << " trans_b=" << trans_b << " accumulate=" << accumulate << " ld+" << extra_ld);
  CHECK(bad == 0);
}

}  // namespace

TEST_CASE("packed GEMM matches a float64 loop across the blocking boundaries", "[gemm]") {
  using namespace gan::kernels::cpu::gemm;
  const int64_t kKC = blocking().kc, kNC = blocking().nc;
  const std::vector<Problem> problems = {
      {1, 1, 1},
      {kMR, kNR, 7},
      {kMR + 1, kNR + 1, kKC},
      {2 * kMR - 1, 3 * kNR - 5, kKC + 3},
      {3 * kMR + 2, 2 * kNR + 7, 2 * kKC + 11},
      {5, kNC + 37, 9},  // more columns than one packed B block
      {kMR, 2, 300},
      {blocking().row_block(kKC) + kMR + 3, kNR + 5, kKC},  // more rows than one block of A
  };
  for (const Problem& p : problems)
    for (bool ta : {false, true})
      for (bool tb : {false, true})
        for (bool acc : {false, true}) check_gemm(p, ta, tb, acc, acc ? 3 : 0);
}

TEST_CASE("a packed A serves several products", "[gemm]") {
  const int64_t m = 11, k = 37, n = 45;
  const std::vector<float> a = random_floats(m * k, 4);
  const PackedA packed(row_major(a.data(), m, k, k));
  for (uint32_t seed : {5u, 6u}) {
    const std::vector<float> b = random_floats(k * n, seed);
    std::vector<float> once(size_t(m * n)), reused(size_t(m * n));
    gemm_packed(row_major(a.data(), m, k, k), row_major(b.data(), k, n, n), once.data(), n, false);
    gemm_packed(packed, row_major(b.data(), k, n, n), reused.data(), n, false);
    CHECK(once == reused);
  }
}

TEST_CASE("float32 convolutions agree on the packed GEMM and on Eigen's product", "[gemm][conv2d]") {
  // A 3x3 layer over chunks, a pointwise one, a strided one (each with enough columns for the
  // packed weight), and small planes with many output channels (the channel-split path); batch 2
  // so chunks cross images.
  const std::vector<ConvGeometry> layers = {
      make_conv_geometry(2, 24, 19, 17, 40, 3, 1, 1),
      make_conv_geometry(2, 48, 20, 17, 40, 1, 1, 0),
      make_conv_geometry(2, 20, 42, 36, 36, 4, 2, 1),
      make_conv_geometry(1, 64, 2, 2, 128, 3, 1, 1),
  };
  for (const ConvGeometry& g : layers) {
    const std::vector<float> x = random_floats(g.n * g.c_in * g.in_plane(), 7),
                             w = random_floats(g.c_out * g.patch(), 8),
                             gy = random_floats(g.n * g.c_out * g.out_plane(), 9),
                             bias = random_floats(g.c_out, 10);
    auto run = [&](CpuGemm which) {
      set_cpu_gemm(which);
      std::vector<float> y(gy.size()), dx(x.size()), dw(w.size());
      conv2d_forward(x.data(), w.data(), bias.data(), y.data(), g);
      conv2d_backward_data(gy.data(), w.data(), dx.data(), g);
      conv2d_backward_weight(x.data(), gy.data(), dw.data(), g);
      return std::vector<std::vector<float>>{y, dx, dw};
    };
    const auto eigen = run(CpuGemm::eigen), packed = run(CpuGemm::packed);
    set_cpu_gemm(CpuGemm::packed);
    for (int r = 0; r < 3; ++r) {
      double num = 0, den = 0;
      for (size_t i = 0; i < eigen[size_t(r)].size(); ++i) {
        const double d = double(packed[size_t(r)][i]) - eigen[size_t(r)][i];
        num += d * d;
        den += double(eigen[size_t(r)][i]) * eigen[size_t(r)][i];
      }
      INFO("layer c_in=" << g.c_in << " c_out=" << g.c_out << " k=" << g.k << " result " << r);
      CHECK(std::sqrt(num / den) < 1e-6);
    }
  }
}

TEST_CASE("the GEMM's cache blocking follows the caches it is given", "[gemm]") {
  using namespace gan::kernels::cpu::gemm;
  // A B micro-panel fills half of L1, a B block half of L2; whole micro-tiles of columns.
  const Blocking zen5 = blocking_for_caches(48 << 10, 1 << 20);
  CHECK(zen5.kc * kNR * 4 <= (24 << 10));
  // (or kc's cap of 2048, which a build without SIMD, 2 floats per micro-panel row, reaches)
  CHECK((zen5.kc == 2048 || zen5.kc * kNR * 4 > (24 << 10) - 8 * kNR * 4));
  CHECK(zen5.nc % kNR == 0);
  CHECK(zen5.kc * zen5.nc * 4 <= (512 << 10));
  // A block of A's rows a quarter of L2, in whole micro-tiles.
  CHECK(zen5.row_block(zen5.kc) * zen5.kc * 4 <= (256 << 10));
  CHECK(zen5.row_block(zen5.kc) * zen5.kc * 4 > (256 << 10) - kMR * zen5.kc * 4);
  CHECK(zen5.row_block(zen5.kc) % kMR == 0);
  CHECK(zen5.row_block(1 << 30) == kMR);
  const Blocking unknown = blocking_for_caches(-1, 0);
  CHECK(unknown.kc * kNR * 4 <= (16 << 10));
  CHECK(unknown.nc >= kNR);
  CHECK(blocking().kc >= 32);
}
