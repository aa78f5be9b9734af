// Volume scores: identical volumes, a known perturbation against naive loops, normalisation of each
// volume by its own robust window, the grid checks, the folder pairing and the JSON shape.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>

#include "core/error.h"
#include "tests/train/temp_dir.h"
#include "train/data/intensity.h"
#include "train/eval/metrics_report.h"
#include "train/eval/volume_metrics.h"
#include "train/eval/volume_report.h"
#include "train/io/nifti_io.h"

namespace fs = std::filesystem;
using namespace gan::train;

namespace {

// A bright ellipsoid "head" (values 0.2..0.8 varying in x) on a zero background, with empty first
// and last slices; nx x ny x nz = 24 x 20 x 6.
gan::io::Volume head_volume() {
  gan::io::Volume v;
  v.nx = 24, v.ny = 20, v.nz = 6;
  v.datatype = 16;
  v.geometry.pixdim = {1, 1, 1, 2, 0, 0, 0, 0};
  v.geometry.sform_code = 1;
  v.geometry.srow = {{{-1, 0, 0, 10}, {0, -1, 0, 9}, {0, 0, 2, -5}, {0, 0, 0, 1}}};
  v.voxels.assign(static_cast<size_t>(v.nx) * v.ny * v.nz, 0.f);
  for (int z = 1; z < v.nz - 1; ++z)
    for (int y = 0; y < v.ny; ++y)
      for (int x = 0; x < v.nx; ++x) {
        double dx = (x - 11.5) / 9, dy = (y - 9.5) / 7;
        if (dx * dx + dy * dy < 1) v.voxels[(static_cast<size_t>(z) * v.ny + y) * v.nx + x] = 0.2f + 0.025f * x;
      }
  return v;
}

}  // namespace

TEST_CASE("volume metrics: identical volumes give infinite PSNR, SSIM 1, MAE 0", "[metrics]") {
  gan::io::Volume v = head_volume();
  ImageMetrics m = metrics_from_sums(compare_volumes(v, v));
  CHECK(std::isinf(m.psnr));
  CHECK(std::isinf(m.psnr_fg));
  CHECK(m.ssim == Approx(1.0));
  CHECK(m.ssim_fg == Approx(1.0));
  CHECK(m.mae == 0.0);
  CHECK(m.mae_fg == 0.0);
  // The reports cap the infinite PSNR as the slice mode does.
  CHECK(to_json(m)["psnr"].get<double>() == kPsnrCap);
}

TEST_CASE("volume metrics: a known perturbation gives the PSNR and MAE of naive loops", "[metrics]") {
  gan::io::Volume target = head_volume(), pred = target;
  for (size_t i = 0; i < pred.voxels.size(); i += 7) pred.voxels[i] += 0.05f;
  VolumeSums sums = compare_volumes(pred, target);
  ImageMetrics m = metrics_from_sums(sums);

  // Naive: each volume through its own window, squared / absolute error over all voxels.
  IntensityWindow wp = robust_window(pred.voxels), wt = robust_window(target.voxels);
  double se = 0, ae = 0;
  for (size_t i = 0; i < target.voxels.size(); ++i) {
    double d = static_cast<double>(wp.to_unit(pred.voxels[i])) - wt.to_unit(target.voxels[i]);
    se += d * d, ae += std::abs(d);
  }
  const double n = static_cast<double>(target.voxels.size());
  CHECK(m.psnr == Approx(10 * std::log10(1.0 / (se / n))).epsilon(1e-9));
  CHECK(m.mae == Approx(ae / n).epsilon(1e-9));
  CHECK(sums.voxels == target.voxels.size());
  // SSIM over the 4 slices with foreground only; the empty end slices are skipped.
  CHECK(sums.slices == 4);
  CHECK(m.ssim < 1.0);
  CHECK(m.ssim > 0.0);
  CHECK(sums.voxels_fg > 0);
  CHECK(sums.voxels_fg < sums.voxels);
}

TEST_CASE("volume metrics: each volume goes through its own window, clipped to [0, 1]", "[metrics]") {
  // MRI intensities have no absolute scale: the same image at another scale scores perfectly, and
  // a translation written on its input's scale (what gan_infer does) is compared fairly.
  gan::io::Volume target = head_volume(), pred = target;
  for (float& x : pred.voxels) x *= 1000.f;
  ImageMetrics m = metrics_from_sums(compare_volumes(pred, target));
  CHECK(m.mae < 1e-6);  // rounding of the scaled window only
  // A change of contrast inside the window is not hidden by it.
  for (size_t i = 0; i < pred.voxels.size(); i += 2) pred.voxels[i] *= 0.5f;
  CHECK(metrics_from_sums(compare_volumes(pred, target)).psnr < 40);
  // Values beyond the window are clipped to [0, 1] like in training.
  std::vector<float> u = to_unit_range({-5.f, 0.5f, 99.f}, IntensityWindow{0.f, 1.f});
  CHECK(u == std::vector<float>{0.f, 0.5f, 1.f});
}

TEST_CASE("volume metrics: pooled sums weigh voxels, the mean over volumes weighs volumes", "[metrics]") {
  gan::io::Volume target = head_volume(), pred = target;
  for (size_t i = 0; i < pred.voxels.size(); i += 3) pred.voxels[i] += 0.1f;
  VolumeSums a = compare_volumes(target, target), b = compare_volumes(pred, target), both = a;
  both += b;
  CHECK(both.voxels == 2 * a.voxels);
  CHECK(metrics_from_sums(both).mae == Approx(metrics_from_sums(b).mae / 2));
  CHECK(metrics_from_sums(both).ssim == Approx((1.0 + metrics_from_sums(b).ssim) / 2));
}

TEST_CASE("volume metrics: dims or affine mismatch is a one-line error naming both files", "[metrics]") {
  gan::io::Volume a = head_volume(), b = head_volume();
  b.nz = 5;
  b.voxels.resize(static_cast<size_t>(b.nx) * b.ny * b.nz);
  try {
    require_same_grid(a, "p.nii.gz", b, "t.nii.gz");
    FAIL("no error");
  } catch (const gan::InputError& e) {
    CHECK(std::string(e.what()) == "p.nii.gz: dims 24x20x6 differ from t.nii.gz (24x20x5)");
  }
  gan::io::Volume c = head_volume();
  c.geometry.srow[0][3] += 0.5f;
  try {
    require_same_grid(a, "p.nii.gz", c, "t.nii.gz");
    FAIL("no error");
  } catch (const gan::InputError& e) {
    std::string msg = e.what();
    CHECK(msg.find("p.nii.gz: voxel-to-world affine differs from t.nii.gz") == 0);
    CHECK(msg.find('\n') == std::string::npos);
  }
  c.geometry.srow[0][3] = a.geometry.srow[0][3] + 1e-4f;  // within the tolerance
  CHECK_NOTHROW(require_same_grid(a, "p", c, "t"));
}

TEST_CASE("volume report: folders matched by name, one row per volume, a missing partner is named", "[metrics]") {
  gan::testing::TempDir dir;
  fs::create_directories(dir.path / "p"), fs::create_directories(dir.path / "t");
  gan::io::Volume v = head_volume();
  for (const char* name : {"a.nii.gz", "b.nii"}) {
    gan::io::save_nifti((dir.path / "p" / name).string(), v, v.voxels);
    gan::io::save_nifti((dir.path / "t" / name).string(), v, v.voxels);
  }
  CHECK(is_volume_input(dir.file("p")));
  CHECK(is_volume_input(dir.file("p/a.nii.gz")));
  CHECK_FALSE(is_volume_input(dir.file("somewhere/slices")));

  VolumeReport r = evaluate_paired_volumes(dir.file("p"), dir.file("t"));
  REQUIRE(r.paired.images.size() == 2);
  CHECK(r.paired.images[0].name == "a.nii.gz");
  CHECK(r.paired.mean.ssim == Approx(1.0));
  nlohmann::json j = to_json(r);
  CHECK(j["kind"] == "volume");
  CHECK(j["count"] == 2);
  CHECK(j["pooled"]["psnr"].get<double>() == kPsnrCap);
  CHECK(j["images"][1]["name"] == "b.nii");

  gan::io::save_nifti((dir.path / "p" / "c.nii.gz").string(), v, v.voxels);
  CHECK_THROWS_WITH(evaluate_paired_volumes(dir.file("p"), dir.file("t")),
                    (dir.path / "t" / "c.nii.gz").string() + ": missing (present in " + dir.file("p") + ")");
  CHECK_THROWS_AS(evaluate_paired_volumes(dir.file("p/a.nii.gz"), dir.file("t")), gan::InputError);
}

TEST_CASE("volume report: the invert baseline maps the prediction by its own window, then 1 - x", "[metrics]") {
  gan::io::Volume v = head_volume();
  std::vector<float> u = to_unit_range(v.voxels, robust_window(v.voxels));
  std::vector<float> inv = u;
  invert_foreground_volume(inv, v.nx, v.ny, v.nz);
  const size_t centre = (static_cast<size_t>(2) * v.ny + 10) * v.nx + 12, corner = static_cast<size_t>(2) * v.ny * v.nx;
  CHECK(inv[centre] == Approx(1.0f - u[centre]));
  CHECK(inv[corner] == 0.f);
}
