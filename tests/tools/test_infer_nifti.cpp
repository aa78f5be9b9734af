// gan_infer on a NIfTI volume: every axial slice translated, the output volume lines up with the
// input (dims, voxel sizes, qform/sform), and its intensities are mapped back to the input's range.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/train/data/volume_fixtures.h"
#include "tests/tools/run_tool.h"
#include "tests/train/temp_dir.h"
#include "train/io/nifti_io.h"

namespace fs = std::filesystem;

namespace {

int run(const std::string& tool, const std::string& args, const gan::testing::TempDir& dir) {
  return gan::testing::run_tool(tool, args, dir).code;
}

// A checkpoint of a tiny CycleGAN trained for 2 steps at 32x32 on phantom slices, in dir/run.
std::string tiny_checkpoint(const gan::testing::TempDir& dir) {
  const std::string ph = dir.file("ph"), run_dir = dir.file("run");
  REQUIRE(run("gan_phantom", "--out " + ph + " --subjects 1 --test-subjects 1 --slices 2 --size 32", dir) == 0);
  REQUIRE(run("gan_train", "--data-a " + ph + "/trainA --data-b " + ph + "/trainB --out " + run_dir +
                               " --size 32 --load-size 32 --ngf 4 --ndf 4 --steps 2 --sample-every 0",
              dir) == 0);
  return run_dir + "/checkpoints/latest.safetensors";
}

}  // namespace

TEST_CASE("gan_infer translates a NIfTI volume slice by slice and keeps its geometry", "[cli][nifti]") {
  gan::testing::TempDir dir;
  const std::string ckpt = tiny_checkpoint(dir);

  // A 40 x 36 x 3 volume (not a multiple of the network's stride) with an oblique geometry and
  // scanner-like intensities (0..1200).
  gan::io::Volume v;
  v.nx = 40, v.ny = 36, v.nz = 3;
  v.datatype = 16;
  v.geometry.pixdim = {1, 0.9f, 0.8f, 2.5f, 0, 0, 0, 0};
  v.geometry.qform_code = 1;
  v.geometry.sform_code = 2;
  v.geometry.quatern_b = 0.1f, v.geometry.quatern_c = 0.0f, v.geometry.quatern_d = 0.2f;
  v.geometry.qoffset_x = -20, v.geometry.qoffset_y = -15, v.geometry.qoffset_z = 7;
  v.geometry.qfac = 1;
  v.geometry.srow = {{{0.9f, 0, 0, -20}, {0, 0.8f, 0, -15}, {0, 0, 2.5f, 7}, {0, 0, 0, 1}}};
  v.geometry.xyz_units = 2;
  v.voxels.resize(size_t(v.nx) * v.ny * v.nz);
  for (int z = 0; z < v.nz; ++z)
    for (int y = 0; y < v.ny; ++y)
      for (int x = 0; x < v.nx; ++x) {
        double r = std::hypot(x - 20.0, y - 18.0);
        v.voxels[(size_t(z) * v.ny + y) * v.nx + x] = r < 14 ? float(400 + 800 * (r / 14) + 30 * z) : 0.0f;
      }
  std::string in = dir.file("t1.nii.gz"), out = dir.file("t2.nii.gz");
  gan::io::save_nifti(in, v, v.voxels);

  REQUIRE(run("gan_infer", "--checkpoint " + ckpt + " --direction t1-to-t2 --input " +
                               in + " --output " + out, dir) == 0);
  gan::io::Volume a = gan::io::load_nifti(in), b = gan::io::load_nifti(out);
  CHECK(b.nx == a.nx);
  CHECK(b.ny == a.ny);
  CHECK(b.nz == a.nz);
  for (int i = 1; i <= 3; ++i) CHECK(b.geometry.pixdim[i] == Approx(a.geometry.pixdim[i]));
  CHECK(b.geometry.qform_code == a.geometry.qform_code);
  CHECK(b.geometry.sform_code == a.geometry.sform_code);
  CHECK(b.geometry.quatern_b == Approx(a.geometry.quatern_b));
  CHECK(b.geometry.quatern_d == Approx(a.geometry.quatern_d));
  CHECK(b.geometry.qoffset_x == Approx(a.geometry.qoffset_x));
  CHECK(b.geometry.qoffset_z == Approx(a.geometry.qoffset_z));
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) CHECK(b.geometry.srow[r][c] == Approx(a.geometry.srow[r][c]));
  // Intensities: finite, back in the input's range, and not a copy of the input.
  float lo = 1e30f, hi = -1e30f;
  double diff = 0;
  for (size_t i = 0; i < b.voxels.size(); ++i) {
    REQUIRE(std::isfinite(b.voxels[i]));
    lo = std::min(lo, b.voxels[i]);
    hi = std::max(hi, b.voxels[i]);
    diff += std::fabs(b.voxels[i] - a.voxels[i]);
  }
  CHECK(lo >= -1.0f);
  CHECK(hi <= 1300.0f);
  CHECK(hi > 100.0f);
  CHECK(diff > 0);
  // A volume that is not NIfTI fails with one line naming it.
  std::ofstream(dir.file("bad.nii")) << "not a nifti file";
  CHECK(run("gan_infer", "--checkpoint " + ckpt + " --direction t1-to-t2 --input " +
                             dir.file("bad.nii") + " --output " + dir.file("o.nii"), dir) == 2);
}

TEST_CASE("gan_infer translates along body axes: a sagittally stored volume gives the same voxels", "[cli][nifti]") {
  gan::testing::TempDir dir;
  const std::string ckpt_path = tiny_checkpoint(dir);
  const gan::io::Volume axial = gan::testing::make_head_volume(34, 30, 6, 1.0, 1.0, 2.0, 9);
  const std::array<int, 3> perm = {1, 2, 0};
  const std::array<bool, 3> flip = {false, true, false};
  const gan::io::Volume sagittal = gan::testing::restore_volume(axial, perm, flip);
  gan::io::save_nifti(dir.file("ax.nii.gz"), axial, axial.voxels);
  gan::io::save_nifti(dir.file("sag.nii.gz"), sagittal, sagittal.voxels);
  const std::string ckpt = "--checkpoint " + ckpt_path + " --direction t1-to-t2";
  for (const char* axis : {"axial", "coronal"}) {
    INFO(axis);
    REQUIRE(run("gan_infer", ckpt + " --slice-axis " + axis + " --input " + dir.file("ax.nii.gz") + " --output " +
                                 dir.file("ax_out.nii.gz"), dir) == 0);
    // Off a terminal, progress comes as whole lines with a rate and an ETA.
    const std::string err = gan::testing::read_bytes(dir.file("stderr.txt"));
    CHECK(err.find('\r') == std::string::npos);
    CHECK_THAT(err, Catch::Contains(std::string(axis) + " slice ") && Catch::Contains("slices/s, ETA"));
    REQUIRE(run("gan_infer", ckpt + " --slice-axis " + axis + " --input " + dir.file("sag.nii.gz") + " --output " +
                                 dir.file("sag_out.nii.gz"), dir) == 0);
    const gan::io::Volume a = gan::io::load_nifti(dir.file("ax_out.nii.gz"));
    const gan::io::Volume s = gan::io::load_nifti(dir.file("sag_out.nii.gz"));
    REQUIRE(s.nx == sagittal.nx);
    REQUIRE(s.nz == sagittal.nz);
    // Stored back in the axial order, the sagittal result is the axial result.
    const gan::io::Volume a_as_sagittal = gan::testing::restore_volume(a, perm, flip);
    REQUIRE(s.voxels == a_as_sagittal.voxels);
  }
}
