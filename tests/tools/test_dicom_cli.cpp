// DICOM end to end with the tools: phantom DICOM series in, training (and an exact resume), a
// test series translated into a DICOM series and into a NIfTI volume, both read back by GDCM
// with the source's geometry.
#include <gdcmReader.h>
#include <gdcmStringFilter.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "tests/tools/run_tool.h"
#include "tests/train/temp_dir.h"
#include "train/io/dicom_io.h"
#include "train/io/nifti_io.h"
#include "train/io/safetensors.h"

namespace fs = std::filesystem;
using gan::testing::run_tool;
using gan::testing::TempDir;

namespace {

std::string first_file(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir)) files.push_back(e.path().string());
  REQUIRE(!files.empty());
  std::sort(files.begin(), files.end());
  return files[0];
}

// A tag of a DICOM file as GDCM prints it, trailing padding removed.
std::string tag_value(const std::string& file, uint16_t group, uint16_t element) {
  gdcm::Reader reader;
  reader.SetFileName(file.c_str());
  REQUIRE(reader.Read());
  gdcm::StringFilter filter;
  filter.SetFile(reader.GetFile());
  std::string v = filter.ToString(gdcm::Tag(group, element));
  while (!v.empty() && (v.back() == ' ' || v.back() == '\0')) v.pop_back();
  return v;
}

void require_same_affine(const gan::io::Volume& a, const gan::io::Volume& b) {
  const gan::io::Affine x = gan::io::voxel_to_ras(a.geometry), y = gan::io::voxel_to_ras(b.geometry);
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) REQUIRE(x[r][c] == Approx(y[r][c]).margin(1e-3));
}

}  // namespace

TEST_CASE("DICOM series: train from them, resume exactly, translate into DICOM and NIfTI", "[cli][dicom]") {
  TempDir dir;
  const std::string ph = dir.file("ph");
  REQUIRE(run_tool("gan_phantom", "--out " + ph + " --format dicom --size 32 --slices 4 --subjects 1 --test-subjects 1",
                   dir).code == 0);
  REQUIRE(gan::io::is_dicom_file(first_file(ph + "/trainA/subj000_t1")));
  // gan_slices names a series' slices after its folder.
  REQUIRE(run_tool("gan_slices", "--input " + ph + "/trainA --output " + dir.file("slices"), dir).code == 0);
  CHECK(fs::exists(dir.file("slices/subj000_t1_axial_000.png")));
  CHECK(fs::exists(dir.file("slices/subj000_t1_axial_003.png")));

  const std::string train = "--data-a " + ph + "/trainA --data-b " + ph + "/trainB --size 32 --load-size 36 "
                            "--ngf 4 --ndf 4 --sample-every 0 --min-foreground 0 --out ";
  const gan::testing::ToolRun straight = run_tool("gan_train", train + dir.file("one") + " --steps 4", dir);
  INFO(straight.out << straight.err);
  REQUIRE(straight.code == 0);
  CHECK_THAT(straight.out, Catch::Contains("subj000_t1: 4 of 4 axial slices kept"));
  REQUIRE(run_tool("gan_train", train + dir.file("two") + " --steps 2", dir).code == 0);
  REQUIRE(run_tool("gan_train", train + dir.file("two") + " --steps 4 --resume", dir).code == 0);
  const auto a = gan::io::load_safetensors(dir.file("one/checkpoints/latest.safetensors"));
  const auto b = gan::io::load_safetensors(dir.file("two/checkpoints/latest.safetensors"));
  REQUIRE(a.tensors.size() == b.tensors.size());
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    INFO(a.tensors[i].first);
    REQUIRE(a.tensors[i].first == b.tensors[i].first);
    REQUIRE(a.tensors[i].second.to_vector<float>() == b.tensors[i].second.to_vector<float>());
  }

  // A test series in, a derived DICOM series out: same grid, same patient and study, new series.
  const std::string source = ph + "/testA/subj002", ckpt = dir.file("one/checkpoints/latest.safetensors");
  const std::string infer = "--checkpoint " + ckpt + " --direction t1-to-t2 --input " + source + " --output ";
  const gan::testing::ToolRun to_dicom = run_tool("gan_infer", infer + dir.file("out_series"), dir);
  INFO(to_dicom.err);
  REQUIRE(to_dicom.code == 0);
  const gan::io::Volume in = gan::io::load_dicom_series(source);
  const gan::io::Volume out = gan::io::load_dicom_series(dir.file("out_series"));
  REQUIRE(out.nx == in.nx);
  REQUIRE(out.ny == in.ny);
  REQUIRE(out.nz == in.nz);
  require_same_affine(in, out);
  const std::string src_file = first_file(source), out_file = first_file(dir.file("out_series"));
  CHECK(tag_value(out_file, 0x0010, 0x0020) == tag_value(src_file, 0x0010, 0x0020));  // PatientID
  CHECK(tag_value(out_file, 0x0020, 0x000D) == tag_value(src_file, 0x0020, 0x000D));  // StudyInstanceUID
  CHECK(tag_value(out_file, 0x0020, 0x000E) != tag_value(src_file, 0x0020, 0x000E));  // SeriesInstanceUID
  CHECK(tag_value(out_file, 0x0008, 0x0018) != tag_value(src_file, 0x0008, 0x0018));  // SOPInstanceUID
  CHECK_THAT(tag_value(out_file, 0x0008, 0x0008), Catch::Contains("DERIVED"));        // ImageType
  bool differs = false;
  for (size_t i = 0; i < in.voxels.size(); ++i) differs = differs || std::abs(out.voxels[i] - in.voxels[i]) > 1e-3f;
  CHECK(differs);

  // The same series into a NIfTI volume: the DICOM geometry, as RAS.
  REQUIRE(run_tool("gan_infer", infer + dir.file("out.nii.gz"), dir).code == 0);
  const gan::io::Volume nii = gan::io::load_nifti(dir.file("out.nii.gz"));
  REQUIRE(nii.nx == in.nx);
  REQUIRE(nii.nz == in.nz);
  require_same_affine(in, nii);
  // A series written where one already is: refused with one line, nothing overwritten.
  const gan::testing::ToolRun again = run_tool("gan_infer", infer + dir.file("out_series"), dir);
  CHECK(again.code == 2);
  CHECK_THAT(again.err, Catch::Contains("out_series"));
}
