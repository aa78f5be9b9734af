#include <nifti1_io.h>

#include <catch2/catch.hpp>
#include <cmath>

#include "core/error.h"
#include "tests/train/temp_dir.h"
#include "train/io/nifti_io.h"

using gan::InputError;
using gan::testing::TempDir;
using namespace gan::io;

namespace {

// Writes a small int16 volume with niftilib directly (an independent writer), with a rotated
// qform, a different sform, and scl_slope/inter, so load_nifti's conversions are checked.
void write_reference(const std::string& path, int nx, int ny, int nz, float slope, float inter) {
  int dims[8] = {3, nx, ny, nz, 1, 1, 1, 1};
  nifti_image* nim = nifti_make_new_nim(dims, DT_INT16, 1);
  auto* p = static_cast<int16_t*>(nim->data);
  for (int i = 0; i < nx * ny * nz; ++i) p[i] = static_cast<int16_t>(i * 7 - 40);
  nim->pixdim[1] = nim->dx = 0.9f;
  nim->pixdim[2] = nim->dy = 1.1f;
  nim->pixdim[3] = nim->dz = 2.5f;
  nim->scl_slope = slope;
  nim->scl_inter = inter;
  nim->qform_code = NIFTI_XFORM_SCANNER_ANAT;
  nim->quatern_b = 0.1f;
  nim->quatern_c = -0.2f;
  nim->quatern_d = 0.3f;
  nim->qoffset_x = -90.f;
  nim->qoffset_y = 12.5f;
  nim->qoffset_z = 40.f;
  nim->qfac = -1.f;
  nim->pixdim[0] = -1.f;
  nim->sform_code = NIFTI_XFORM_MNI_152;
  float srow[3][4] = {{0.9f, 0.01f, 0, -91}, {0, 1.1f, 0.02f, 13}, {0.03f, 0, 2.5f, 39}};
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) nim->sto_xyz.m[r][c] = srow[r][c];
  nim->sto_xyz.m[3][3] = 1;
  nim->xyz_units = NIFTI_UNITS_MM;
  nifti_set_filenames(nim, path.c_str(), 0, 1);
  nifti_image_write(nim);
  nifti_image_free(nim);
}

}  // namespace

TEST_CASE("nifti load applies scaling, save round trip keeps geometry and values", "[nifti]") {
  TempDir dir;
  for (const char* ext : {".nii", ".nii.gz"}) {
    INFO(ext);
    const std::string src = dir.file(std::string("src") + ext);
    write_reference(src, 5, 4, 3, 0.5f, 10.f);
    Volume v = load_nifti(src);
    CHECK(v.nx == 5);
    CHECK(v.ny == 4);
    CHECK(v.nz == 3);
    CHECK(v.datatype == DT_INT16);
    REQUIRE(v.voxels.size() == 60);
    for (int i = 0; i < 60; ++i) CHECK(v.voxels[i] == Approx((i * 7 - 40) * 0.5 + 10.0));
    CHECK(v.at(1, 2, 1) == v.voxels[(1 * 4 + 2) * 5 + 1]);

    std::vector<float> out(60);
    for (int i = 0; i < 60; ++i) out[i] = std::sin(0.3f * i) * 100.f;
    const std::string dst = dir.file(std::string("out") + ext);
    save_nifti(dst, v, out);

    // Read back with niftilib itself.
    nifti_image* a = nifti_image_read(src.c_str(), 0);
    nifti_image* b = nifti_image_read(dst.c_str(), 1);
    REQUIRE(a);
    REQUIRE(b);
    CHECK(b->datatype == DT_FLOAT32);
    CHECK(b->nifti_type == NIFTI_FTYPE_NIFTI1_1);
    for (int i = 0; i < 4; ++i) CHECK(b->dim[i] == a->dim[i]);
    for (int i = 1; i <= 3; ++i) CHECK(b->pixdim[i] == a->pixdim[i]);
    CHECK(b->scl_slope == 1.f);
    CHECK(b->scl_inter == 0.f);
    CHECK(b->qform_code == a->qform_code);
    CHECK(b->sform_code == a->sform_code);
    CHECK(b->xyz_units == a->xyz_units);
    for (int r = 0; r < 4; ++r)
      for (int c = 0; c < 4; ++c) {
        CHECK(b->qto_xyz.m[r][c] == Approx(a->qto_xyz.m[r][c]).margin(1e-5));
        CHECK(b->sto_xyz.m[r][c] == Approx(a->sto_xyz.m[r][c]).margin(1e-6));
      }
    const float* data = static_cast<const float*>(b->data);
    for (int i = 0; i < 60; ++i) CHECK(data[i] == out[i]);
    nifti_image_free(a);
    nifti_image_free(b);

    // And with load_nifti: a second generation keeps everything too.
    Volume w = load_nifti(dst);
    CHECK(w.voxels == out);
    CHECK(w.geometry.qfac == v.geometry.qfac);
    CHECK(w.geometry.srow == v.geometry.srow);
  }
}

TEST_CASE("nifti: truncated, missing, unsupported and 4-D files give InputError", "[nifti]") {
  TempDir dir;
  const std::string src = dir.file("v.nii");
  write_reference(src, 8, 8, 8, 1.f, 0.f);
  std::string bytes = gan::testing::read_bytes(src);
  const std::string trunc = dir.file("trunc.nii");
  gan::testing::write_bytes(trunc, bytes.substr(0, bytes.size() - 100));
  auto message = [](const std::string& p) -> std::string {
    try {
      load_nifti(p);
    } catch (const InputError& e) {
      return e.what();
    }
    return "(no error)";
  };
  CHECK(message(trunc).rfind(trunc + ": truncated", 0) == 0);
  CHECK(message(dir.file("none.nii")).rfind(dir.file("none.nii") + ": ", 0) == 0);
  const std::string junk = dir.file("junk.nii");
  gan::testing::write_bytes(junk, std::string(400, 'x'));
  CHECK(message(junk).rfind(junk + ": ", 0) == 0);

  int dims[8] = {4, 3, 3, 3, 2, 1, 1, 1};
  nifti_image* nim = nifti_make_new_nim(dims, DT_FLOAT32, 1);
  const std::string four = dir.file("four.nii");
  nifti_set_filenames(nim, four.c_str(), 0, 1);
  nifti_image_write(nim);
  nifti_image_free(nim);
  CHECK(message(four).find("single 3-D volume") != std::string::npos);

  int dims3[8] = {3, 3, 3, 3, 1, 1, 1, 1};
  nim = nifti_make_new_nim(dims3, DT_COMPLEX64, 1);
  const std::string cplx = dir.file("complex.nii");
  nifti_set_filenames(nim, cplx.c_str(), 0, 1);
  nifti_image_write(nim);
  nifti_image_free(nim);
  CHECK(message(cplx).find("unsupported datatype") != std::string::npos);

  Volume v = load_nifti(src);
  CHECK_THROWS_AS(save_nifti(dir.file("x.nii"), v, std::vector<float>(5)), std::invalid_argument);
  CHECK_THROWS_AS(save_nifti(dir.file("x.png"), v, v.voxels), std::invalid_argument);
  CHECK_THROWS_AS(save_nifti(dir.file("no/dir/x.nii"), v, v.voxels), InputError);
  CHECK(is_nifti_file_name("a/B.NII.GZ"));
  CHECK_FALSE(is_nifti_file_name("a.gz"));
}

TEST_CASE("nifti: non-finite voxels read as 0 and counted, none finite is an InputError", "[nifti]") {
  TempDir dir;
  const std::string src = dir.file("src.nii");
  write_reference(src, 5, 4, 3, 1.f, 0.f);
  const Volume like = load_nifti(src);
  CHECK(like.nonfinite_voxels == 0);

  std::vector<float> vox(60);
  for (int i = 0; i < 60; ++i) vox[i] = 1.f + i;
  vox[3] = std::nanf("");
  vox[17] = INFINITY;
  vox[59] = -INFINITY;
  const std::string nan_file = dir.file("nan.nii.gz");
  save_nifti(nan_file, like, vox);
  const Volume v = load_nifti(nan_file);
  CHECK(v.nonfinite_voxels == 3);
  for (int i = 0; i < 60; ++i) {
    INFO(i);
    CHECK(v.voxels[i] == ((i == 3 || i == 17 || i == 59) ? 0.f : 1.f + i));
  }

  // Every voxel NaN: nothing to translate.
  const std::string all_nan = dir.file("all_nan.nii");
  save_nifti(all_nan, like, std::vector<float>(60, std::nanf("")));
  CHECK_THROWS_AS(load_nifti(all_nan), InputError);
  CHECK_THROWS_WITH(load_nifti(all_nan), Catch::Contains("all_nan.nii") && Catch::Contains("no finite voxel"));
  // A scale factor that overflows float counts the same way (reference voxel values: i * 7 - 40).
  const std::string overflow = dir.file("overflow.nii");
  write_reference(overflow, 5, 4, 3, 1e38f, 0.f);
  size_t want = 0;
  for (int i = 0; i < 60; ++i) want += std::abs((i * 7 - 40) * 1e38) > 3.4028234663852886e38;
  const Volume o = load_nifti(overflow);
  CHECK(want > 0);
  CHECK(o.nonfinite_voxels == want);
}
