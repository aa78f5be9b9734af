// gan_phantom --format nifti and gan_eval's volume mode as a user runs them: the written files,
// perfect scores of a volume against itself, one report row per volume, one-line errors.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/tools/run_tool.h"
#include "tests/train/temp_dir.h"

namespace fs = std::filesystem;

namespace {

using Run = gan::testing::ToolRun;
using gan::testing::lines;
using gan::testing::run_tool;

}  // namespace

TEST_CASE("gan_phantom --format nifti + gan_eval: volumes written, scored per volume", "[cli]") {
  gan::testing::TempDir dir;
  std::string out = dir.file("ph");
  Run r = run_tool("gan_phantom", "--out " + out + " --format nifti --subjects 1 --test-subjects 2 --slices 8 --size 48",
                   dir);
  REQUIRE(r.code == 0);
  CHECK(r.out.find("gan_phantom: wrote 6 volumes (48x48x8") != std::string::npos);
  for (const char* f : {"trainA/subj000_t1.nii.gz", "trainB/subj001_t2.nii.gz", "testA/subj002.nii.gz",
                        "testB/subj002.nii.gz", "testA/subj003.nii.gz", "testB/subj003.nii.gz"})
    CHECK(fs::exists(out + "/" + f));

  r = run_tool("gan_eval", "--pred " + out + "/testB --target " + out + "/testB --json " + dir.file("e.json") +
                               " --csv " + dir.file("e.csv"), dir);
  REQUIRE(r.code == 0);
  nlohmann::json j = nlohmann::json::parse(gan::testing::read_bytes(dir.file("e.json")));
  CHECK(j["kind"] == "volume");
  CHECK(j["count"] == 2);
  REQUIRE(j["images"].size() == 2);
  CHECK(j["images"][0]["name"] == "subj002.nii.gz");
  CHECK(j["mean"]["psnr"].get<double>() == 100.0);
  CHECK(j["mean"]["ssim"].get<double>() == Approx(1.0));
  CHECK(j["mean"]["mae_fg"].get<double>() == 0.0);
  CHECK(j["pooled"]["psnr_fg"].get<double>() == 100.0);
  std::string csv = gan::testing::read_bytes(dir.file("e.csv"));
  CHECK(csv.rfind("name,psnr,ssim,mae,psnr_fg,ssim_fg,mae_fg\n", 0) == 0);
  CHECK(lines(csv) == 4);  // header, two volumes, mean

  // The T1w input against the T2w target, and the invert baseline made from it: real numbers.
  r = run_tool("gan_eval", "--pred " + out + "/testA --target " + out + "/testB --baseline invert --json " +
                               dir.file("b.json"), dir);
  REQUIRE(r.code == 0);
  nlohmann::json b = nlohmann::json::parse(gan::testing::read_bytes(dir.file("b.json")));
  CHECK(b["mean"]["psnr"].get<double>() < 100.0);
  CHECK(b["mean"]["mae"].get<double>() > 0.0);

  // With --input: the structure score of the predictions (here the T1w inputs themselves: 1) and
  // of the real T2w volumes, per volume and pooled.
  r = run_tool("gan_eval", "--pred " + out + "/testA --target " + out + "/testB --input " + out + "/testA --json " +
                               dir.file("s.json") + " --csv " + dir.file("s.csv"), dir);
  REQUIRE(r.code == 0);
  CHECK(r.out.find("pooled over 2 volumes: edge_corr with the input") != std::string::npos);
  nlohmann::json s = nlohmann::json::parse(gan::testing::read_bytes(dir.file("s.json")));
  CHECK(s["pooled"]["edge_corr"].get<double>() == Approx(1.0).epsilon(1e-6));
  CHECK(s["mean"]["edge_corr_target"].get<double>() > 0.2);
  CHECK(s["pooled"]["edge_corr_target"].get<double>() < 0.95);
  CHECK(gan::testing::read_bytes(dir.file("s.csv")).rfind("name,psnr,ssim,mae,psnr_fg,ssim_fg,mae_fg,edge_corr,"
                                                          "edge_corr_target\n", 0) == 0);

  // Single files.
  r = run_tool("gan_eval", "--pred " + out + "/testA/subj002.nii.gz --target " + out + "/testB/subj002.nii.gz", dir);
  CHECK(r.code == 0);
  CHECK(r.out.find("over 1 volumes") != std::string::npos);
}

TEST_CASE("gan_eval volume mode: bad input exits 2 with a one-line message", "[cli]") {
  gan::testing::TempDir dir;
  std::string a = dir.file("a"), b = dir.file("b"), png = dir.file("png");
  REQUIRE(run_tool("gan_phantom", "--out " + a + " --format nifti --subjects 1 --test-subjects 1 --slices 4 --size 32",
                   dir).code == 0);
  REQUIRE(run_tool("gan_phantom", "--out " + b + " --format nifti --subjects 1 --test-subjects 1 --slices 4 --size 48",
                   dir).code == 0);
  REQUIRE(run_tool("gan_phantom", "--out " + png + " --subjects 1 --test-subjects 1 --slices 2 --size 32", dir).code == 0);

  Run r = run_tool("gan_eval", "--pred " + a + "/testB/subj002.nii.gz --target " + b + "/testB/subj002.nii.gz", dir);
  CHECK(r.code == 2);
  CHECK(lines(r.err) == 1);
  CHECK(r.err.find("dims 32x32x4 differ from " + b + "/testB/subj002.nii.gz (48x48x4)") != std::string::npos);

  r = run_tool("gan_eval", "--pred " + a + "/testB --target " + png + "/testB", dir);
  CHECK(r.code == 2);
  CHECK(lines(r.err) == 1);
  CHECK(r.err.find("NIfTI volumes") != std::string::npos);
  r = run_tool("gan_eval", "--pred " + a + "/testB --target " + a + "/testB --input " + png + "/testA", dir);
  CHECK(r.code == 2);
  CHECK(lines(r.err) == 1);
  CHECK(r.err.find("--input " + png + "/testA is not NIfTI volumes") != std::string::npos);

  r = run_tool("gan_phantom", "--out " + dir.file("x") + " --format analyze", dir);
  CHECK(r.code == 2);
  CHECK(lines(r.err) == 1);
  CHECK(r.err.find("--format") != std::string::npos);
}
