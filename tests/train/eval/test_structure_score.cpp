// The structure score edge_corr: its defining properties (1 with itself and under any affine
// intensity change, near 0 against unrelated structure, below 1 when blurred), a plain-loop Sobel
// and two-pass Pearson reference, exact pooling of sums, and the folder and volume reports.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>

#include "core/error.h"
#include "tests/train/temp_dir.h"
#include "train/eval/metrics.h"
#include "train/eval/metrics_report.h"
#include "train/eval/structure_score.h"
#include "train/eval/volume_metrics.h"
#include "train/eval/volume_report.h"
#include "train/io/image_io.h"
#include "train/io/nifti_io.h"

namespace fs = std::filesystem;
using namespace gan::train;

namespace {

// A head-like slice (n x n): a bright ellipse (scalp) around a darker one (brain) holding two bright
// blobs (ventricles) and a smooth left-right shading, on a black background.
std::vector<float> head_slice(int n) {
  std::vector<float> img(static_cast<size_t>(n) * n, 0.f);
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      const double u = (x - 0.5 * n) / (0.42 * n), v = (y - 0.5 * n) / (0.46 * n);
      const double r = u * u + v * v;
      float value = 0;
      if (r < 1) value = 0.8f;
      if (r < 0.7) value = 0.45f + 0.1f * static_cast<float>(u);
      for (double cx : {-0.25, 0.25})
        if ((u - cx) * (u - cx) + v * v * 4 < 0.02) value = 0.9f;
      img[static_cast<size_t>(y) * n + x] = value;
    }
  return img;
}

std::vector<float> random_image(int height, int width, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  std::vector<float> v(static_cast<size_t>(height) * width);
  for (auto& x : v) x = u(rng);
  return v;
}

// 3x3 Gaussian blur (1 2 1) x (1 2 1) / 16, edges clamped.
std::vector<float> blurred(const std::vector<float>& img, int n) {
  std::vector<float> out(img.size());
  const double k[3] = {1, 2, 1};
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      double s = 0;
      for (int i = -1; i <= 1; ++i)
        for (int j = -1; j <= 1; ++j)
          s += k[i + 1] * k[j + 1] *
               img[static_cast<size_t>(std::clamp(y + i, 0, n - 1)) * n + std::clamp(x + j, 0, n - 1)];
      out[static_cast<size_t>(y) * n + x] = static_cast<float>(s / 16);
    }
  return out;
}

// Sobel written from its two 3x3 kernels (divided by 8), at one interior pixel.
double sobel_reference(const std::vector<float>& img, int w, int y, int x) {
  const int kx[3][3] = {{-1, 0, 1}, {-2, 0, 2}, {-1, 0, 1}};
  const int ky[3][3] = {{-1, -2, -1}, {0, 0, 0}, {1, 2, 1}};
  double gx = 0, gy = 0;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      const double v = img[static_cast<size_t>(y + i - 1) * w + x + j - 1];
      gx += kx[i][j] * v, gy += ky[i][j] * v;
    }
  return std::hypot(gx / 8, gy / 8);
}

// The Pearson correlation of two samples, two passes (means first). The engine keeps magnitudes in
// float: agreement to 1e-6.
double pearson(const std::vector<double>& a, const std::vector<double>& b) {
  double ma = 0, mb = 0;
  for (size_t i = 0; i < a.size(); ++i) ma += a[i], mb += b[i];
  ma /= a.size(), mb /= b.size();
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < a.size(); ++i)
    sab += (a[i] - ma) * (b[i] - mb), saa += (a[i] - ma) * (a[i] - ma), sbb += (b[i] - mb) * (b[i] - mb);
  return sab / std::sqrt(saa * sbb);
}

// The reference gradient magnitudes of two images at the interior pixels in the mask, appended.
void reference_values(const std::vector<float>& a, const std::vector<float>& b, int h, int w,
                      const std::vector<uint8_t>& mask, std::vector<double>& va, std::vector<double>& vb) {
  for (int y = 1; y < h - 1; ++y)
    for (int x = 1; x < w - 1; ++x)
      if (mask[static_cast<size_t>(y) * w + x])
        va.push_back(sobel_reference(a, w, y, x)), vb.push_back(sobel_reference(b, w, y, x));
}

}  // namespace

TEST_CASE("edge_corr: an image with itself, and with any affine intensity change of itself, is 1", "[metrics][structure]") {
  const int n = 48;
  std::vector<float> img = head_slice(n);
  CHECK(edge_correlation(img.data(), img.data(), n, n) == Approx(1.0).margin(1e-12));
  for (float scale : {0.5f, -1.f, 2.f}) {
    std::vector<float> changed(img.size());
    for (size_t i = 0; i < img.size(); ++i) changed[i] = scale * img[i] + (scale < 0 ? 1.f : 0.2f);
    INFO("scale " << scale);
    CHECK(edge_correlation(img.data(), changed.data(), n, n) == Approx(1.0).epsilon(1e-5));
  }
}

TEST_CASE("edge_corr: unrelated structure is near 0, a blurred copy below 1, a constant image NaN", "[metrics][structure]") {
  const int n = 64;
  std::vector<float> img = head_slice(n);
  std::vector<float> shuffled = img;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(3));
  CHECK(std::abs(edge_correlation(img.data(), shuffled.data(), n, n)) < 0.1);

  const double once = edge_correlation(img.data(), blurred(img, n).data(), n, n);
  const double twice = edge_correlation(img.data(), blurred(blurred(img, n), n).data(), n, n);
  CHECK(once < 0.99);
  CHECK(once > 0.5);  // the edges are still where they were
  CHECK(twice < once);

  std::vector<float> flat(img.size(), 0.5f);
  CHECK(std::isnan(edge_correlation(flat.data(), flat.data(), n, n)));
  CHECK(std::isnan(edge_correlation(img.data(), flat.data(), n, n)));
}

TEST_CASE("edge_corr: Sobel magnitudes and the correlation match plain loops", "[metrics][structure]") {
  const int h = 9, w = 13;  // not square: rows and columns must not be swapped
  std::vector<float> a = random_image(h, w, 1), b = random_image(h, w, 2);
  for (size_t i = 0; i < b.size(); ++i) b[i] = 0.6f * b[i] + 0.4f * a[i];  // some correlation
  std::vector<float> ga = sobel_magnitude(a.data(), h, w);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const bool border = y == 0 || x == 0 || y == h - 1 || x == w - 1;
      CHECK(ga[static_cast<size_t>(y) * w + x] == Approx(border ? 0.0 : sobel_reference(a, w, y, x)).margin(1e-6));
    }

  std::vector<uint8_t> mask(a.size());
  std::mt19937 rng(4);
  for (auto& m : mask) m = rng() % 3 != 0;
  std::vector<double> va, vb;
  reference_values(a, b, h, w, mask, va, vb);
  const double expected = pearson(va, vb);
  CHECK(std::abs(expected) > 0.2);
  CHECK(edge_sums(a.data(), b.data(), h, w, mask.data()).correlation() == Approx(expected).epsilon(1e-6));

  // edge_correlation is the same over foreground_mask of the input.
  std::vector<float> head = head_slice(20), other = blurred(head, 20);
  std::vector<uint8_t> fg = foreground_mask(head.data(), 20, 20);
  va.clear(), vb.clear();
  reference_values(head, other, 20, 20, fg, va, vb);
  CHECK(va.size() < 18u * 18u);  // the mask leaves pixels out
  CHECK(edge_correlation(head.data(), other.data(), 20, 20) == Approx(pearson(va, vb)).epsilon(1e-6));
}

TEST_CASE("edge_corr: sums of several slices pool to the correlation of all their pixels", "[metrics][structure]") {
  const int n = 16;
  std::vector<float> a1 = random_image(n, n, 5), b1 = random_image(n, n, 6);
  std::vector<float> a2 = head_slice(n), b2 = blurred(a2, n);
  std::vector<uint8_t> all(static_cast<size_t>(n) * n, 1);
  EdgeSums pooled = edge_sums(a1.data(), b1.data(), n, n, all.data());
  pooled += edge_sums(a2.data(), b2.data(), n, n, all.data());
  std::vector<double> va, vb;
  reference_values(a1, b1, n, n, all, va, vb);
  reference_values(a2, b2, n, n, all, va, vb);
  CHECK(pooled.n == va.size());
  CHECK(pooled.correlation() == Approx(pearson(va, vb)).epsilon(1e-6));
  CHECK(std::isnan(EdgeSums{}.correlation()));
}

TEST_CASE("paired folder report with an input: edge_corr of the prediction and of the target", "[metrics][structure]") {
  gan::testing::TempDir root;
  const int n = 32;
  for (const char* d : {"in", "pred", "target"}) fs::create_directories(root.path / d);
  auto save = [&](const char* d, const char* name, const std::vector<float>& v) {
    gan::io::Image img;
    img.width = img.height = n;
    img.pixels = v;
    gan::io::save_png((root.path / d / name).string(), img, 16);
  };
  std::vector<float> head = head_slice(n), inverted(head.size());
  for (size_t i = 0; i < head.size(); ++i) inverted[i] = head[i] > 0 ? 1.f - head[i] : 0.f;
  save("in", "s1.png", head), save("pred", "s1.png", head), save("target", "s1.png", inverted);
  PairedReport r = evaluate_paired(root.file("pred"), root.file("target"), PredTransform::none, root.file("in"));
  REQUIRE(r.images.size() == 1);
  CHECK(r.mean.edge_corr == Approx(1.0).epsilon(1e-6));
  CHECK(r.mean.edge_corr_target < 0.99);  // the inversion adds an edge at the scalp
  CHECK(r.mean.edge_corr_target > 0.3);
  nlohmann::json j = to_json(r);
  CHECK(j["input"] == root.file("in"));
  CHECK(j["mean"]["edge_corr"].get<double>() == Approx(1.0).epsilon(1e-6));
  CHECK(j["images"][0].contains("edge_corr_target"));
  const std::string csv = to_csv(r.images, r.mean, r.edge_columns());
  CHECK(csv.rfind("name,psnr,ssim,mae,psnr_fg,ssim_fg,mae_fg,edge_corr,edge_corr_target\n", 0) == 0);

  // Without an input: no structure keys or columns.
  PairedReport plain = evaluate_paired(root.file("pred"), root.file("target"));
  CHECK_FALSE(to_json(plain)["mean"].contains("edge_corr"));
  CHECK(to_csv(plain.images, plain.mean).rfind("name,psnr,ssim,mae,psnr_fg,ssim_fg,mae_fg\n", 0) == 0);

  save("pred", "s2.png", head), save("target", "s2.png", head);
  CHECK_THROWS_WITH(evaluate_paired(root.file("pred"), root.file("target"), PredTransform::none, root.file("in")),
                    (root.path / "in" / "s2.png").string() + ": missing (present in " + root.file("pred") + ")");
}

TEST_CASE("volume report with an input: edge_corr pooled over the axial slices", "[metrics][structure]") {
  gan::testing::TempDir dir;
  const int n = 24, nz = 4;
  gan::io::Volume v;
  v.nx = v.ny = n, v.nz = nz;
  v.datatype = 16;
  v.geometry.pixdim = {1, 1, 1, 1, 0, 0, 0, 0};
  for (int z = 0; z < nz; ++z) {
    std::vector<float> s = head_slice(n);
    for (float& x : s) x *= 100.f + 10.f * z;  // arbitrary scanner units
    v.voxels.insert(v.voxels.end(), s.begin(), s.end());
  }
  gan::io::Volume blurry = v;
  for (int z = 0; z < nz; ++z) {
    const size_t plane = static_cast<size_t>(n) * n;
    std::vector<float> s(v.voxels.begin() + plane * z, v.voxels.begin() + plane * (z + 1));
    std::vector<float> b = blurred(s, n);
    std::copy(b.begin(), b.end(), blurry.voxels.begin() + plane * z);
  }
  gan::io::save_nifti(dir.file("in.nii.gz"), v, v.voxels);
  gan::io::save_nifti(dir.file("pred.nii.gz"), v, v.voxels);
  gan::io::save_nifti(dir.file("target.nii.gz"), blurry, blurry.voxels);
  VolumeReport r = evaluate_paired_volumes(dir.file("pred.nii.gz"), dir.file("target.nii.gz"), PredTransform::none,
                                           dir.file("in.nii.gz"));
  CHECK(r.pooled.edge_corr == Approx(1.0).epsilon(1e-5));
  CHECK(r.pooled.edge_corr_target < 0.99);
  CHECK(to_json(r)["pooled"].contains("edge_corr_target"));
  // Without an input the scores are NaN and not reported.
  VolumeReport plain = evaluate_paired_volumes(dir.file("pred.nii.gz"), dir.file("target.nii.gz"));
  CHECK(std::isnan(plain.pooled.edge_corr));
  CHECK_FALSE(to_json(plain)["pooled"].contains("edge_corr"));

  gan::io::Volume other = v;
  other.nz = 2, other.voxels.resize(static_cast<size_t>(n) * n * 2);
  gan::io::save_nifti(dir.file("small.nii.gz"), other, other.voxels);
  CHECK_THROWS_AS(evaluate_paired_volumes(dir.file("pred.nii.gz"), dir.file("target.nii.gz"), PredTransform::none,
                                          dir.file("small.nii.gz")),
                  gan::InputError);
}
