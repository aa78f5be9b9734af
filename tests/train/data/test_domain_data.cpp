// DomainData: a folder of NIfTI volumes (and images) as one list of 2-D samples, through the
// slice cache.
#include <catch2/catch.hpp>
#include <filesystem>
#include <sstream>

#include "tests/train/data/volume_fixtures.h"
#include "tests/train/temp_dir.h"
#include "train/data/domain_data.h"
#include "train/data/intensity.h"
#include "core/error.h"
#include "train/phantom/phantom_volume.h"

using namespace gan;
using namespace gan::train;
using gan::testing::make_head_volume;
using gan::testing::restore_volume;
using gan::testing::TempDir;
namespace fs = std::filesystem;

namespace {

DomainOptions options_in(const TempDir& dir, const std::string& tag, double min_fg = 0.0) {
  DomainOptions o;
  o.cache_dir = dir.file("cache");
  o.tag = tag;
  o.min_foreground = min_fg;
  return o;
}

}  // namespace

TEST_CASE("DomainData: a sagittally stored volume gives the same axial training slices", "[domain_data]") {
  TempDir dir;
  fs::create_directories(dir.path / "axial");
  fs::create_directories(dir.path / "sagittal");
  const io::Volume axial = make_head_volume(16, 14, 12, 1.0, 1.0, 1.2, 3);
  const io::Volume sagittal = restore_volume(axial, {1, 2, 0}, {false, true, false});
  io::save_nifti(dir.file("axial/head.nii.gz"), axial, axial.voxels);
  io::save_nifti(dir.file("sagittal/head.nii"), sagittal, sagittal.voxels);

  DomainData a(dir.file("axial"), options_in(dir, "a", 0.1));
  DomainData s(dir.file("sagittal"), options_in(dir, "s", 0.1));
  REQUIRE(a.size() > 0);
  REQUIRE(a.size() == s.size());
  REQUIRE(a.size() < 12);  // the top and bottom planes of the ellipsoid are mostly background
  for (size_t i = 0; i < a.size(); ++i) {
    io::Image x = a.load(i), y = s.load(i);
    REQUIRE(x.width == 16);
    REQUIRE(x.height == 14);
    REQUIRE(x.pixels == y.pixels);
  }
  REQUIRE(a.volumes().size() == 1);
  CHECK(a.volumes()[0].slices == 12);
  CHECK(a.volumes()[0].kept == static_cast<int>(a.size()));
  CHECK_THAT(a.describe(0), Catch::Contains("head.nii.gz axial slice"));
}

TEST_CASE("DomainData: a phantom head stored axially and re-stored sagittally gives the same axial slices", "[domain_data]") {
  TempDir dir;
  fs::create_directories(dir.path / "axial");
  fs::create_directories(dir.path / "sagittal");
  PhantomOptions po;
  po.size = 40, po.slices = 6, po.supersample = 1;
  const io::Volume axial = render_phantom_volume(po, 0, false);
  // Voxel axes (x, y, z) stored as (y, z reversed, x), with the affine that keeps every voxel in place.
  const io::Volume sagittal = restore_volume(axial, {1, 2, 0}, {false, true, false});
  REQUIRE(sagittal.nx == 40);
  REQUIRE(sagittal.ny == 6);
  io::save_nifti(dir.file("axial/head.nii.gz"), axial, axial.voxels);
  io::save_nifti(dir.file("sagittal/head.nii.gz"), sagittal, sagittal.voxels);
  DomainData a(dir.file("axial"), options_in(dir, "a"));
  DomainData s(dir.file("sagittal"), options_in(dir, "s"));
  REQUIRE(a.size() == 6);
  REQUIRE(s.size() == 6);
  for (size_t i = 0; i < a.size(); ++i) REQUIRE(a.load(i).pixels == s.load(i).pixels);
}

TEST_CASE("DomainData: slices are normalised per volume, kept in float, in slice order", "[domain_data]") {
  TempDir dir;
  fs::create_directories(dir.path / "d");
  io::Volume v = make_head_volume(10, 9, 6, 1, 1, 1, 5);
  io::save_nifti(dir.file("d/v.nii"), v, v.voxels);
  DomainData d(dir.file("d"), options_in(dir, "d"));
  REQUIRE(d.size() == 6);  // min_foreground 0 keeps all
  const IntensityWindow w = robust_window(v.voxels);
  for (int k = 0; k < 6; ++k) {
    io::Image img = d.load(static_cast<size_t>(k));
    for (int y = 0; y < 9; ++y)
      for (int x = 0; x < 10; ++x) REQUIRE(img.at(y, x) == w.to_unit(v.at(x, y, k)));
  }
}

TEST_CASE("DomainData: images and volumes mixed, in name order, the cache is reused until a source changes", "[domain_data]") {
  TempDir dir;
  fs::create_directories(dir.path / "m");
  io::Volume v = make_head_volume(8, 8, 4, 1, 1, 1);
  io::save_nifti(dir.file("m/b_volume.nii.gz"), v, v.voxels);
  io::Image img;
  img.width = img.height = 8;
  img.pixels.assign(64, 0.25f);
  io::save_png(dir.file("m/a_image.png"), img, 16);
  io::save_png(dir.file("m/c_image.png"), img, 16);

  std::ostringstream log;
  DomainOptions o = options_in(dir, "m");
  o.log = &log;
  {
    DomainData d(dir.file("m"), o);
    CHECK_FALSE(d.cache_reused());
    REQUIRE(d.size() == 6);
    CHECK(d.describe(0) == dir.file("m/a_image.png"));
    CHECK_THAT(d.describe(1), Catch::Contains("b_volume.nii.gz axial slice 0"));
    CHECK(d.describe(5) == dir.file("m/c_image.png"));
    CHECK(d.image_count() == 2);
    CHECK_THAT(log.str(), Catch::Contains("4 of 4 axial slices kept"));
  }
  std::vector<float> first;
  {
    DomainData again(dir.file("m"), o);
    CHECK(again.cache_reused());
    REQUIRE(again.size() == 6);
    first = again.load(2).pixels;
  }
  // Another volume under the same name: the cache is rebuilt, not reused.
  for (float& x : v.voxels) x = x > 0 ? 2000.f - x : 0.f;
  io::save_nifti(dir.file("m/b_volume.nii.gz"), v, v.voxels);
  fs::last_write_time(dir.file("m/b_volume.nii.gz"), fs::file_time_type::clock::now() + std::chrono::seconds(5));
  DomainData changed(dir.file("m"), o);
  CHECK_FALSE(changed.cache_reused());
  CHECK(changed.load(2).pixels != first);
}

TEST_CASE("DomainData: mostly-empty slices are skipped, errors name the folder", "[domain_data]") {
  TempDir dir;
  fs::create_directories(dir.path / "e");
  io::Volume v = make_head_volume(10, 10, 5, 1, 1, 1);
  for (int y = 0; y < 10; ++y)
    for (int x = 0; x < 10; ++x) v.voxels[(2 * 10 + y) * 10 + x] = 0.f;  // slice 2 empty
  io::save_nifti(dir.file("e/v.nii"), v, v.voxels);
  DomainData d(dir.file("e"), options_in(dir, "e", 0.05));
  CHECK(d.volumes()[0].kept == 4);
  for (size_t i = 0; i < d.size(); ++i) CHECK_THAT(d.describe(i), !Catch::Contains("slice 2"));

  CHECK_THROWS_WITH(DomainData(dir.file("e"), options_in(dir, "e2", 1.0)), Catch::Contains("--min-foreground"));
  fs::create_directories(dir.path / "empty");
  CHECK_THROWS_WITH(DomainData(dir.file("empty"), options_in(dir, "x")), Catch::Contains(dir.file("empty")));
  CHECK_THROWS_AS(DomainData(dir.file("missing"), options_in(dir, "x")), InputError);
  // A corrupt volume: one line naming the file.
  gan::testing::write_bytes(dir.file("e/bad.nii"), std::string(400, 'x'));
  CHECK_THROWS_WITH(DomainData(dir.file("e"), options_in(dir, "e3")), Catch::Contains("bad.nii"));
}
