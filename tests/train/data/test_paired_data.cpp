// Paired data for pix2pix: files and volumes matched by name, one crop and flip for both images of
// a pair, pairs kept or dropped together by the foreground filter, and one-line errors naming the
// file for names without a pair, images of different sizes and volumes on different grids.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "core/error.h"
#include "tests/train/data/volume_fixtures.h"
#include "tests/train/temp_dir.h"
#include "train/data/dataset.h"
#include "train/data/paired_data.h"

using namespace gan;
using namespace gan::train;
using gan::testing::make_head_volume;
using gan::testing::TempDir;
namespace fs = std::filesystem;

namespace {

DomainOptions options_in(const TempDir& dir, double min_fg = 0.0) {
  DomainOptions o;
  o.cache_dir = dir.file("cache");
  o.min_foreground = min_fg;
  return o;
}

// An 8-bit image with no symmetry (so a flip or a shifted crop shows) and exact 8-bit values.
io::Image pattern(int width, int height, int seed) {
  io::Image img;
  img.width = width, img.height = height;
  img.pixels.resize(static_cast<size_t>(width) * height);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      img.pixels[static_cast<size_t>(y) * width + x] = float((x * 7 + y * y * 3 + seed * 13) % 256) / 255.f;
  return img;
}

// A/<name> = pattern, B/<name> = 1 - pattern (in [-1, 1]: b = -a); pairs of two sizes, square
// (the black padding of a non-square image would be black in both).
void write_inverted_pairs(const TempDir& dir) {
  fs::create_directories(dir.path / "A");
  fs::create_directories(dir.path / "B");
  for (int i = 0; i < 5; ++i) {
    io::Image a = pattern(i == 2 ? 48 : 40, i == 2 ? 48 : 40, i);
    io::Image b = a;
    for (float& v : b.pixels) v = float(255 - std::lround(v * 255)) / 255.f;
    io::save_png(dir.file("A/p" + std::to_string(i) + ".png"), a, 8);
    io::save_png(dir.file("B/p" + std::to_string(i) + ".png"), b, 8);
  }
}

// The largest |a + b| over a batch: 0 when every pixel of b is the negative of a's.
double worst_mismatch(const UnpairedLoader::Batch& batch) {
  const std::vector<float> a = batch.a.to_vector<float>(), b = batch.b.to_vector<float>();
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(double(a[i]) + b[i]));
  return worst;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  FAIL("no InputError");
  return "";
}

}  // namespace

TEST_CASE("paired loader: images matched by name, cropped and flipped alike", "[paired_data]") {
  TempDir dir;
  write_inverted_pairs(dir);
  PairedDomains d = load_paired_domains(dir.file("A"), dir.file("B"), options_in(dir));
  REQUIRE(d.a->size() == 5);
  REQUIRE(d.b->size() == 5);
  for (size_t i = 0; i < 5; ++i) CHECK(fs::path(d.a->describe(i)).filename() == fs::path(d.b->describe(i)).filename());

  ImageTransform t;
  t.load_size = 40;
  t.crop_size = 32;
  UnpairedLoader paired(d.a, d.b, t, UnpairedLoader::State{7, 0, 0}, 2, 2, {0, 1},
                        UnpairedLoader::Pairing::paired);
  double worst = 0;
  for (int s = 0; s < 6; ++s) worst = std::max(worst, worst_mismatch(paired.next()));
  CHECK(worst < 1e-5);

  // The same data unpaired: other partners, other crops, so the relation fails (the check can fail).
  UnpairedLoader unpaired(d.a, d.b, t, UnpairedLoader::State{7, 0, 0}, 2, 2);
  double unpaired_worst = 0;
  for (int s = 0; s < 6; ++s) unpaired_worst = std::max(unpaired_worst, worst_mismatch(unpaired.next()));
  CHECK(unpaired_worst > 0.5);
  // Paired batches still vary their crops: two epochs' batches at one position differ.
  CHECK(paired.make_batch({7, 0, 0}).a.to_vector<float>() != paired.make_batch({7, 1, 0}).a.to_vector<float>());
}

TEST_CASE("paired data: a name without a pair, or a pair of two sizes, is one line naming the file", "[paired_data]") {
  TempDir dir;
  write_inverted_pairs(dir);
  fs::rename(dir.file("B/p3.png"), dir.file("B/q3.png"));
  std::string e = error_of([&] { load_paired_domains(dir.file("A"), dir.file("B"), options_in(dir)); });
  CHECK_THAT(e, Catch::Contains(dir.file("A/p3.png")) && Catch::Contains("no image named p3.png"));
  CHECK(e.find('\n') == std::string::npos);
  fs::rename(dir.file("A/p3.png"), dir.file("A/q3.png"));
  fs::copy_file(dir.file("B/p4.png"), dir.file("B/extra.png"));
  e = error_of([&] { load_paired_domains(dir.file("A"), dir.file("B"), options_in(dir)); });
  CHECK_THAT(e, Catch::Contains(dir.file("B/extra.png")));
  fs::remove(dir.file("B/extra.png"));
  REQUIRE(load_paired_domains(dir.file("A"), dir.file("B"), options_in(dir)).a->size() == 5);

  io::save_png(dir.file("B/p1.png"), pattern(40, 44, 1), 8);
  e = error_of([&] { load_paired_domains(dir.file("A"), dir.file("B"), options_in(dir)); });
  CHECK_THAT(e, Catch::Contains(dir.file("B/p1.png")) && Catch::Contains("40x44") && Catch::Contains("40x40"));
  CHECK(e.find('\n') == std::string::npos);
}

TEST_CASE("paired volumes: slice k pairs with slice k, a pair is kept or dropped together", "[paired_data]") {
  TempDir dir;
  fs::create_directories(dir.path / "A");
  fs::create_directories(dir.path / "B");
  // s0: B = 2 A, the same normalised slices. s1: A's slice 1 and B's slice 3 are empty.
  io::Volume a = make_head_volume(12, 12, 5, 1, 1, 2, 3);
  io::Volume b = a;
  for (float& v : b.voxels) v *= 2;
  io::save_nifti(dir.file("A/s0.nii.gz"), a, a.voxels);
  io::save_nifti(dir.file("B/s0.nii.gz"), b, b.voxels);
  auto clear = [](io::Volume& v, int k) {
    std::fill(v.voxels.begin() + k * v.nx * v.ny, v.voxels.begin() + (k + 1) * v.nx * v.ny, 0.f);
  };
  clear(a, 1);
  clear(b, 3);
  io::save_nifti(dir.file("A/s1.nii.gz"), a, a.voxels);
  io::save_nifti(dir.file("B/s1.nii.gz"), b, b.voxels);
  io::Image img = pattern(12, 12, 0);
  io::save_png(dir.file("A/t.png"), img, 8);  // an image pair after the volumes
  io::save_png(dir.file("B/t.png"), img, 8);

  std::ostringstream log;
  DomainOptions o = options_in(dir, 0.05);
  o.log = &log;
  for (int run = 0; run < 2; ++run) {  // built, then from the slice cache
    PairedDomains d = load_paired_domains(dir.file("A"), dir.file("B"), o);
    CHECK(d.a->cache_reused() == (run == 1));
    CHECK(d.b->cache_reused() == (run == 1));
    REQUIRE(d.a->size() == 5 + 3 + 1);
    REQUIRE(d.b->size() == 5 + 3 + 1);
    for (size_t i = 0; i < 5; ++i) {
      CHECK_THAT(d.b->describe(i), Catch::Contains("s0.nii.gz") && Catch::EndsWith("slice " + std::to_string(i)));
      const std::vector<float> x = d.a->load(i).pixels, y = d.b->load(i).pixels;
      REQUIRE(x.size() == y.size());
      for (size_t p = 0; p < x.size(); ++p) REQUIRE(x[p] == Approx(y[p]).margin(1e-6));
    }
    const char* kept[] = {"slice 0", "slice 2", "slice 4"};
    for (size_t i = 0; i < 3; ++i) {
      CHECK_THAT(d.a->describe(5 + i), Catch::Contains("s1.nii.gz") && Catch::EndsWith(kept[i]));
      CHECK_THAT(d.b->describe(5 + i), Catch::Contains("s1.nii.gz") && Catch::EndsWith(kept[i]));
    }
    CHECK(d.a->volumes()[1].kept == 3);
    CHECK(d.b->volumes()[1].kept == 3);
    CHECK(d.b->describe(8) == dir.file("B/t.png"));
  }
  CHECK_THAT(log.str(), Catch::Contains("9 pairs"));
}

TEST_CASE("paired volumes: another grid or a missing volume is one line naming the file", "[paired_data]") {
  TempDir dir;
  fs::create_directories(dir.path / "A");
  fs::create_directories(dir.path / "B");
  io::Volume a = make_head_volume(10, 10, 4, 1, 1, 2, 1);
  io::save_nifti(dir.file("A/s.nii.gz"), a, a.voxels);
  io::Volume b = make_head_volume(10, 10, 5, 1, 1, 2, 1);
  io::save_nifti(dir.file("B/s.nii.gz"), b, b.voxels);
  std::string e = error_of([&] { load_paired_domains(dir.file("A"), dir.file("B"), options_in(dir)); });
  CHECK_THAT(e, Catch::Contains(dir.file("B/s.nii.gz")) && Catch::Contains("10x10x5") &&
                    Catch::Contains("10x10x4") && Catch::Contains("co-registered"));
  CHECK(e.find('\n') == std::string::npos);

  io::Volume shifted = a;  // same dims, moved by 3 mm
  shifted.geometry.srow[0][3] += 3.f;
  io::save_nifti(dir.file("B/s.nii.gz"), shifted, shifted.voxels);
  e = error_of([&] { load_paired_domains(dir.file("A"), dir.file("B"), options_in(dir)); });
  CHECK_THAT(e, Catch::Contains(dir.file("B/s.nii.gz")) && Catch::Contains("affine") && Catch::Contains("3 mm"));

  io::save_nifti(dir.file("B/s.nii.gz"), a, a.voxels);
  REQUIRE(load_paired_domains(dir.file("A"), dir.file("B"), options_in(dir)).a->size() == 4);
  io::save_nifti(dir.file("A/u.nii.gz"), a, a.voxels);
  e = error_of([&] { load_paired_domains(dir.file("A"), dir.file("B"), options_in(dir)); });
  CHECK_THAT(e, Catch::Contains(dir.file("A/u.nii.gz")) && Catch::Contains("no volume named u.nii.gz"));
}
