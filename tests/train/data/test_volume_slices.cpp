// Slicing volumes along body axes: the display convention, storage-order independence, square
// pixels, and extract/insert as inverses.
#include <catch2/catch.hpp>

#include "tests/train/data/volume_fixtures.h"
#include "train/data/volume_slices.h"

using namespace gan;
using namespace gan::train;
using gan::testing::make_head_volume;
using gan::testing::restore_volume;

TEST_CASE("plan_slices: an LPS-stored axial scan is read as stored", "[volume_slices]") {
  io::Volume v = make_head_volume(12, 10, 8, 1, 1, 2);
  SlicePlan p = plan_slices(v, SliceAxis::axial);
  CHECK(p.col_axis == 0);
  CHECK(p.row_axis == 1);
  CHECK(p.slice_axis == 2);
  CHECK_FALSE(p.col_flip);
  CHECK_FALSE(p.row_flip);
  CHECK_FALSE(p.slice_flip);
  CHECK(p.width == 12);
  CHECK(p.height == 10);
  CHECK(p.count == 8);
  CHECK(p.slice_spacing == Approx(2));
  CHECK_FALSE(p.needs_resampling());
  // Slice 3 is the plane z = 3, rows y, columns x, exactly.
  std::vector<float> s = extract_slice(v, p, 3);
  for (int y = 0; y < 10; ++y)
    for (int x = 0; x < 12; ++x) REQUIRE(s[y * 12 + x] == v.at(x, y, 3));

  // Coronal: rows run superior -> inferior, so row 0 is the top z plane.
  SlicePlan c = plan_slices(v, SliceAxis::coronal);
  CHECK(c.row_axis == 2);
  CHECK(c.row_flip);
  CHECK(c.slice_axis == 1);
  CHECK(c.slice_flip);  // slices posterior -> anterior; y grows toward posterior
  std::vector<float> cs = extract_slice(v, c, 0);  // the most posterior plane: y = ny - 1
  for (int r = 0; r < 8; ++r)
    for (int x = 0; x < 12; ++x) REQUIRE(cs[r * 12 + x] == v.at(x, 9, 7 - r));
}

TEST_CASE("slices do not depend on the storage order of the volume", "[volume_slices]") {
  const io::Volume axial = make_head_volume(14, 12, 10, 0.9, 0.9, 1.5, 7);
  // Sagittal storage (x' = y, y' = z reversed, z' = x), an RAS one (x, y reversed) and a scrambled one.
  const std::array<std::array<int, 3>, 3> perms = {{{1, 2, 0}, {0, 1, 2}, {2, 0, 1}}};
  const std::array<std::array<bool, 3>, 3> flips = {{{false, true, false}, {true, true, false}, {true, false, true}}};
  for (size_t t = 0; t < perms.size(); ++t) {
    const io::Volume other = restore_volume(axial, perms[t], flips[t]);
    for (SliceAxis axis : {SliceAxis::axial, SliceAxis::coronal, SliceAxis::sagittal}) {
      INFO("storage " << t << ", " << slice_axis_name(axis));
      SlicePlan pa = plan_slices(axial, axis), po = plan_slices(other, axis);
      REQUIRE(pa.width == po.width);
      REQUIRE(pa.height == po.height);
      REQUIRE(pa.count == po.count);
      REQUIRE(pa.col_spacing == Approx(po.col_spacing));
      REQUIRE(pa.row_spacing == Approx(po.row_spacing));
      for (int k = 0; k < pa.count; ++k) REQUIRE(extract_slice(axial, pa, k) == extract_slice(other, po, k));
    }
  }
}

TEST_CASE("plan_slices: qform when there is no sform, and the nearest axis of an oblique scan", "[volume_slices]") {
  io::Volume v = make_head_volume(6, 5, 4, 1, 1, 1);
  // Rotated 20 degrees about z: still closest to the stored axes.
  const double a = 20 * 3.14159265358979 / 180;
  auto& s = v.geometry.srow;
  s[0][0] = float(-std::cos(a)), s[1][0] = float(-std::sin(a));
  s[0][1] = float(std::sin(a)), s[1][1] = float(-std::cos(a));
  SlicePlan p = plan_slices(v, SliceAxis::axial);
  CHECK(p.col_axis == 0);
  CHECK(p.row_axis == 1);
  CHECK(p.col_spacing == Approx(1));

  // No sform, no qform: voxel sizes on the diagonal, i.e. stored as RAS.
  v.geometry.sform_code = 0;
  v.geometry.qform_code = 0;
  p = plan_slices(v, SliceAxis::axial);
  CHECK(p.col_flip);  // x grows toward the right; columns run right -> left
  CHECK(p.row_flip);

  // A degenerate affine is an error, not a crash.
  v.geometry.sform_code = 1;
  for (int r = 0; r < 3; ++r) s[r][2] = 0;
  CHECK_THROWS_AS(plan_slices(v, SliceAxis::axial), std::invalid_argument);
}

TEST_CASE("square pixels: 0.5 x 1.0 mm pixels are resampled to 0.5 mm", "[volume_slices]") {
  io::Volume v = make_head_volume(20, 10, 3, 0.5, 1.0, 2.0);
  SlicePlan p = plan_slices(v, SliceAxis::axial);
  REQUIRE(p.needs_resampling());
  CHECK(p.square_width == 20);
  CHECK(p.square_height == 20);
  io::Image img;
  img.width = p.width, img.height = p.height;
  img.pixels.assign(static_cast<size_t>(p.width) * p.height, 0.5f);
  io::Image sq = to_square_pixels(img, p);
  CHECK(sq.width == 20);
  CHECK(sq.height == 20);
  for (float x : sq.pixels) REQUIRE(x == Approx(0.5f));
  io::Image back = from_square_pixels(sq, p);
  CHECK(back.width == 20);
  CHECK(back.height == 10);
}

TEST_CASE("insert_slice undoes extract_slice along every axis", "[volume_slices]") {
  const io::Volume v = restore_volume(make_head_volume(7, 6, 5, 1, 1, 1), {2, 0, 1}, {true, false, true});
  for (SliceAxis axis : {SliceAxis::axial, SliceAxis::coronal, SliceAxis::sagittal}) {
    SlicePlan p = plan_slices(v, axis);
    std::vector<float> rebuilt(v.voxels.size(), -1.f);
    for (int k = 0; k < p.count; ++k) insert_slice(rebuilt, p, k, extract_slice(v, p, k));
    REQUIRE(rebuilt == v.voxels);
  }
  CHECK(parse_slice_axis("coronal") == SliceAxis::coronal);
  CHECK_THROWS_AS(parse_slice_axis("oblique"), std::invalid_argument);
}

TEST_CASE("foreground_fraction counts the pixels above the level", "[volume_slices]") {
  std::vector<float> x = {0.f, 0.01f, 0.06f, 0.5f, 1.f, 0.04f, 0.2f, 0.f};
  CHECK(foreground_fraction(x.data(), x.size()) == Approx(4.0 / 8));
  CHECK(foreground_fraction(x.data(), 0) == 0);
}
