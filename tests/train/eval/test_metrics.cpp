// Metrics: hand-computed values (PSNR of a known shift, SSIM of constant images, Wasserstein of
// shifted samples), a plain-loop SSIM reference, the foreground mask, and the folder reports.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <random>

#include "core/error.h"
#include "train/io/image_io.h"
#include "train/eval/metrics.h"
#include "train/eval/metrics_report.h"
#include "tests/train/temp_dir.h"

namespace fs = std::filesystem;
using namespace gan::train;

namespace {

std::vector<float> random_image(int n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  std::vector<float> v(static_cast<size_t>(n) * n);
  for (auto& x : v) x = u(rng);
  return v;
}

// SSIM written plainly: for every valid window position, the weighted moments over an 11x11
// window of 2-D Gaussian weights exp(-(dx^2+dy^2)/(2*1.5^2)) normalised to sum 1.
double ssim_reference(const std::vector<float>& a, const std::vector<float>& b, int h, int w) {
  double weights[11][11], sum = 0;
  for (int i = 0; i < 11; ++i)
    for (int j = 0; j < 11; ++j) sum += weights[i][j] = std::exp(-((i - 5) * (i - 5) + (j - 5) * (j - 5)) / 4.5);
  double total = 0;
  int count = 0;
  for (int y = 5; y < h - 5; ++y) {
    for (int x = 5; x < w - 5; ++x) {
      double ma = 0, mb = 0, aa = 0, bb = 0, ab = 0;
      for (int i = 0; i < 11; ++i) {
        for (int j = 0; j < 11; ++j) {
          double wt = weights[i][j] / sum, va = a[(y + i - 5) * w + x + j - 5], vb = b[(y + i - 5) * w + x + j - 5];
          ma += wt * va, mb += wt * vb, aa += wt * va * va, bb += wt * vb * vb, ab += wt * va * vb;
        }
      }
      double va = aa - ma * ma, vb = bb - mb * mb, cov = ab - ma * mb;
      total += (2 * ma * mb + 1e-4) * (2 * cov + 9e-4) / ((ma * ma + mb * mb + 1e-4) * (va + vb + 9e-4));
      ++count;
    }
  }
  return total / count;
}

void save(const fs::path& path, const std::vector<float>& v, int n) {
  gan::io::Image img;
  img.width = img.height = n;
  img.pixels = v;
  gan::io::save_png(path.string(), img, 16);
}

}  // namespace

TEST_CASE("identical images: SSIM 1, PSNR infinite (capped in reports), MAE 0", "[metrics]") {
  auto a = random_image(32, 1);
  CHECK(ssim(a.data(), a.data(), 32, 32) == Approx(1.0).margin(1e-12));
  CHECK(std::isinf(psnr_from_mse(mean_squared_error(a.data(), a.data(), a.size()))));
  CHECK(mean_absolute_error(a.data(), a.data(), a.size()) == 0.0);
  ImageMetrics mean = mean_metrics({{"x", compare_images(a.data(), a.data(), 32, 32)}});
  CHECK(mean.psnr == kPsnrCap);
  CHECK(mean.psnr_fg == kPsnrCap);
}

TEST_CASE("PSNR and MAE of a constant shift of 0.1: 20 dB by hand", "[metrics]") {
  auto a = random_image(24, 2);
  std::vector<float> b(a.size());
  for (size_t i = 0; i < a.size(); ++i) b[i] = a[i] * 0.5f + 0.1f, a[i] *= 0.5f;
  // mse = 0.01 -> 10 log10(1 / 0.01) = 20 dB
  CHECK(psnr_from_mse(mean_squared_error(a.data(), b.data(), a.size())) == Approx(20.0).epsilon(1e-5));
  CHECK(mean_absolute_error(a.data(), b.data(), a.size()) == Approx(0.1).epsilon(1e-5));
}

TEST_CASE("SSIM of two constant images is the luminance term computed by hand", "[metrics]") {
  std::vector<float> a(20 * 20, 0.5f), b(20 * 20, 0.6f);
  // sigma = 0, so SSIM = (2 mu_a mu_b + C1) / (mu_a^2 + mu_b^2 + C1), C1 = (0.01 * 1)^2
  double expected = (2 * 0.5 * 0.6 + 1e-4) / (0.25 + 0.36 + 1e-4);
  CHECK(ssim(a.data(), b.data(), 20, 20) == Approx(expected).epsilon(1e-6));
}

TEST_CASE("SSIM matches a plain 2-D window loop, is symmetric and < 1 for noise", "[metrics]") {
  auto a = random_image(23, 3), b = random_image(23, 4);
  for (size_t i = 0; i < a.size(); ++i) b[i] = 0.6f * a[i] + 0.4f * b[i];
  double s_ab = ssim(a.data(), b.data(), 23, 23), s_ba = ssim(b.data(), a.data(), 23, 23);
  CHECK(s_ab == Approx(ssim_reference(a, b, 23, 23)).epsilon(1e-9));
  CHECK(s_ab == Approx(s_ba).epsilon(1e-12));
  CHECK(s_ab < 0.99);
  CHECK(s_ab > 0.0);
  std::vector<float> small(10 * 10, 0.f);
  CHECK_THROWS_AS(ssim(small.data(), small.data(), 10, 10), gan::InputError);
}

TEST_CASE("masked SSIM averages only window positions centred in the mask", "[metrics]") {
  auto a = random_image(30, 5), b = random_image(30, 6);
  std::vector<uint8_t> mask(30 * 30, 0);
  mask[15 * 30 + 15] = 1;  // one valid centre: its SSIM value alone
  std::vector<float> ca(11 * 11), cb(11 * 11);
  for (int y = 0; y < 11; ++y)
    for (int x = 0; x < 11; ++x) ca[y * 11 + x] = a[(y + 10) * 30 + x + 10], cb[y * 11 + x] = b[(y + 10) * 30 + x + 10];
  CHECK(ssim(a.data(), b.data(), 30, 30, mask.data()) == Approx(ssim(ca.data(), cb.data(), 11, 11)).epsilon(1e-12));
  mask.assign(mask.size(), 0);
  mask[0] = 1;  // centre too close to the border: no valid window
  CHECK(std::isnan(ssim(a.data(), b.data(), 30, 30, mask.data())));
}

TEST_CASE("Wasserstein-1 of shifted samples equals the shift", "[metrics]") {
  std::mt19937 rng(7);
  std::normal_distribution<float> nd(0.4f, 0.1f);
  std::vector<float> a(5000), b(5000);
  for (size_t i = 0; i < a.size(); ++i) a[i] = nd(rng), b[i] = a[i] + 0.125f;
  CHECK(wasserstein_1d(a, b) == Approx(0.125).epsilon(1e-4));
  CHECK(wasserstein_1d(a, a) == 0.0);
  // Different sizes, by hand: {0, 1} vs {0.5}: |F_a - F_b| = 0.5 on [0, 1].
  CHECK(wasserstein_1d({0.f, 1.f}, {0.5f}) == Approx(0.5));
  CHECK(std::isnan(wasserstein_1d({}, {0.5f})));
}

TEST_CASE("foreground mask: threshold, dilation, holes filled", "[metrics]") {
  const int n = 21;
  std::vector<float> img(n * n, 0.f);
  // A ring of radius 5..7 around the centre: its inside is a hole to fill.
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      double r = std::hypot(x - 10, y - 10);
      if (r >= 5 && r <= 7) img[y * n + x] = 0.5f;
    }
  auto mask = foreground_mask(img.data(), n, n, 0.05, 1);
  CHECK(mask[10 * n + 10] == 1);        // filled hole
  CHECK(mask[10 * n + 10 + 8] == 1);    // dilated by one pixel beyond radius 7
  CHECK(mask[10 * n + 10 + 9] == 0);
  CHECK(mask[0] == 0);
}

TEST_CASE("paired folder report: per-image scores, missing pair and size mismatch errors", "[metrics]") {
  gan::testing::TempDir root;
  fs::path pred = root.path / "pred", target = root.path / "target";
  fs::create_directories(pred), fs::create_directories(target);
  auto a = random_image(16, 8), b = random_image(16, 9);
  save(pred / "s1.png", a, 16), save(target / "s1.png", a, 16);
  save(pred / "s2.png", a, 16), save(target / "s2.png", b, 16);
  PairedReport r = evaluate_paired(pred.string(), target.string());
  REQUIRE(r.images.size() == 2);
  CHECK(r.images[0].name == "s1.png");
  CHECK(r.images[0].metrics.mae < 1e-4);
  CHECK(r.images[1].metrics.ssim < 0.5);
  CHECK(r.mean.mae == Approx((r.images[0].metrics.mae + r.images[1].metrics.mae) / 2));
  auto j = to_json(r);
  CHECK(j["count"] == 2);
  CHECK(to_csv(r.images, r.mean).find("s2.png,") != std::string::npos);

  save(pred / "s3.png", a, 16);
  try {
    evaluate_paired(pred.string(), target.string());
    FAIL("missing pair accepted");
  } catch (const gan::InputError& e) {
    CHECK(std::string(e.what()).find("s3.png") != std::string::npos);
  }
  save(target / "s3.png", random_image(12, 1), 12);
  try {
    evaluate_paired(pred.string(), target.string());
    FAIL("size mismatch accepted");
  } catch (const gan::InputError& e) {
    CHECK(std::string(e.what()).find("s3.png") != std::string::npos);
    CHECK(std::string(e.what()).find("size") != std::string::npos);
  }
}

TEST_CASE("invert baseline: 1 - x inside the foreground, background stays black", "[metrics]") {
  // 8x8 image: a 4x4 square of 0.3 in the middle of a black background.
  const int h = 8, w = 8;
  std::vector<float> px(h * w, 0.0f);
  for (int y = 2; y < 6; ++y)
    for (int x = 2; x < 6; ++x) px[y * w + x] = 0.3f;
  std::vector<uint8_t> mask = foreground_mask(px.data(), h, w);
  invert_foreground(px, h, w);
  for (int i = 0; i < h * w; ++i) {
    int y = i / w, x = i % w;
    bool in_square = y >= 2 && y < 6 && x >= 2 && x < 6;
    if (in_square) CHECK(px[i] == Approx(0.7f));
    else if (mask[i]) CHECK(px[i] == Approx(1.0f));  // dilated rim: 1 - 0
    else CHECK(px[i] == 0.0f);
  }
}
