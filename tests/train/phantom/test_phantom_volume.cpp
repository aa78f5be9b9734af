// The phantom as NIfTI volumes: slices equal to the PNG renderer's, the documented geometry
// (LPS storage, RAS scanner affine centred at the origin), deterministic bytes, paired test files.
#include <catch2/catch.hpp>

#include <filesystem>
#include <set>

#include "core/error.h"
#include "tests/train/temp_dir.h"
#include "train/io/nifti_io.h"
#include "train/phantom/phantom.h"
#include "train/phantom/phantom_volume.h"

namespace fs = std::filesystem;
using namespace gan::train;

namespace {

PhantomOptions small_volume_options(const fs::path& out) {
  PhantomOptions o;
  o.out = out.string();
  o.subjects = 1, o.test_subjects = 1, o.slices = 8, o.size = 48, o.supersample = 2;
  o.format = PhantomFormat::nifti;
  return o;
}

}  // namespace

TEST_CASE("phantom volume: slice k is render_phantom_slice of slice k, voxel (x, y) = pixel (row y, column x)",
          "[phantom]") {
  PhantomOptions o = small_volume_options("unused");
  for (bool t2 : {false, true}) {
    gan::io::Volume v = render_phantom_volume(o, 1, t2);
    REQUIRE(v.nx == 48);
    REQUIRE(v.ny == 48);
    REQUIRE(v.nz == 8);
    for (int k : {0, 3, 7}) {
      gan::io::Image img = render_phantom_slice(o, phantom_tissue_maps(o, 1, k), 1, k, t2);
      int differing = 0;
      for (int y = 0; y < v.ny; ++y)
        for (int x = 0; x < v.nx; ++x) differing += v.at(x, y, k) != img.at(y, x);
      CHECK(differing == 0);
    }
  }
}

TEST_CASE("phantom volume: written float32 voxels equal the rendered ones, header geometry as documented",
          "[phantom]") {
  gan::testing::TempDir dir;
  PhantomOptions o = small_volume_options(dir.path / "ph");
  write_phantom_dataset(o);
  gan::io::Volume v = gan::io::load_nifti((dir.path / "ph" / "testB" / "subj002.nii.gz").string());
  CHECK(v.voxels == render_phantom_volume(o, 2, true).voxels);
  CHECK(v.datatype == 16);  // DT_FLOAT32

  // FOV 240 mm over 48 pixels; slab 0.45 x 130 mm = 58.5 mm over 8 contiguous slices.
  const double dx = 240.0 / 48, dz = 58.5 / 8;
  const gan::io::NiftiGeometry& g = v.geometry;
  CHECK(g.pixdim[1] == Approx(dx));
  CHECK(g.pixdim[2] == Approx(dx));
  CHECK(g.pixdim[3] == Approx(dz));
  CHECK(g.sform_code == 1);
  CHECK(g.qform_code == 1);
  // RAS+ affine: columns go to the patient's left (-x), rows to posterior (-y), slices up (+z).
  const double expected[3][4] = {{-dx, 0, 0, dx * 47 / 2}, {0, -dx, 0, dx * 47 / 2}, {0, 0, dz, -dz * 7 / 2}};
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) CHECK(g.srow[r][c] == Approx(expected[r][c]).margin(1e-5));
  // The qform says the same: 180 degrees about z, same offsets.
  CHECK(g.quatern_b == 0.f);
  CHECK(g.quatern_c == 0.f);
  CHECK(g.quatern_d == Approx(1.0));
  CHECK(g.qfac == 1.f);
  CHECK(g.qoffset_x == Approx(expected[0][3]));
  CHECK(g.qoffset_y == Approx(expected[1][3]));
  CHECK(g.qoffset_z == Approx(expected[2][3]));
  // The centre of the volume is at world (0, 0, 0).
  for (int r = 0; r < 3; ++r)
    CHECK(g.srow[r][0] * 23.5 + g.srow[r][1] * 23.5 + g.srow[r][2] * 3.5 + g.srow[r][3] == Approx(0).margin(1e-4));
}

TEST_CASE("phantom volume: the same options give the same bytes", "[phantom]") {
  gan::testing::TempDir dir;
  PhantomOptions a = small_volume_options(dir.path / "a"), b = small_volume_options(dir.path / "b");
  PhantomSummary s = write_phantom_dataset(a);
  write_phantom_dataset(b);
  CHECK(s.files == 4);
  CHECK(s.stale_files == 0);
  for (const auto& f : plan_phantom_volumes(a)) {
    fs::path rel = fs::path(f.split) / f.file_name;
    std::string bytes = gan::testing::read_bytes((dir.path / "a" / rel).string());
    REQUIRE(!bytes.empty());
    CHECK(bytes == gan::testing::read_bytes((dir.path / "b" / rel).string()));
  }
}

TEST_CASE("phantom volume: testA/X and testB/X are the same subject in T1w and T2w, training domains disjoint",
          "[phantom]") {
  PhantomOptions o = small_volume_options("unused");
  o.subjects = 2, o.test_subjects = 2;
  std::vector<PhantomVolumeFile> plan = plan_phantom_volumes(o);
  REQUIRE(plan.size() == 8);
  std::set<std::string> test_a, test_b;
  std::set<int> train_a, train_b;
  for (const auto& f : plan) {
    CHECK(f.t2 == (f.split == "trainB" || f.split == "testB"));
    const std::string id = f.file_name + "#" + std::to_string(f.subject);
    if (f.split == "trainA") train_a.insert(f.subject);
    if (f.split == "trainB") train_b.insert(f.subject);
    if (f.split == "testA") test_a.insert(id);
    if (f.split == "testB") test_b.insert(id);
  }
  CHECK(test_a == test_b);
  CHECK(test_a == std::set<std::string>{"subj004.nii.gz#4", "subj005.nii.gz#5"});
  CHECK(train_a == std::set<int>{0, 1});
  CHECK(train_b == std::set<int>{2, 3});
  CHECK(plan.front().file_name == "subj000_t1.nii.gz");
  CHECK(plan[2].file_name == "subj002_t2.nii.gz");
}

TEST_CASE("phantom volume --paired: trainA/X and trainB/X are one subject, the test set unchanged", "[phantom]") {
  PhantomOptions o = small_volume_options("unused");
  o.subjects = 2, o.test_subjects = 1;
  o.paired = true;
  std::set<std::string> train_a, train_b, test;
  for (const auto& f : plan_phantom_volumes(o)) {
    const std::string id = f.file_name + "#" + std::to_string(f.subject);
    CHECK(f.t2 == (f.split == "trainB" || f.split == "testB"));
    if (f.split == "trainA") train_a.insert(id);
    if (f.split == "trainB") train_b.insert(id);
    if (f.split == "testA" || f.split == "testB") test.insert(f.split + "/" + id);
  }
  CHECK(train_a == std::set<std::string>{"subj000.nii.gz#0", "subj001.nii.gz#1"});
  CHECK(train_b == train_a);
  CHECK(test == std::set<std::string>{"testA/subj004.nii.gz#4", "testB/subj004.nii.gz#4"});
}

TEST_CASE("phantom volume: --format names", "[phantom]") {
  CHECK(parse_phantom_format("png") == PhantomFormat::png);
  CHECK(parse_phantom_format("nifti") == PhantomFormat::nifti);
  CHECK(parse_phantom_format("dicom") == PhantomFormat::dicom);
  CHECK_THROWS_AS(parse_phantom_format("analyze"), gan::InputError);
}
