// gan_phantom and gan_eval as a user runs them: exit codes, one-line errors, the written files.
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

TEST_CASE("gan_phantom + gan_eval: generate, score paired and unpaired", "[cli]") {
  gan::testing::TempDir dir;
  std::string out = dir.file("ph");
  Run r = run_tool("gan_phantom", "--out " + out + " --subjects 1 --test-subjects 1 --slices 2 --size 48 --bit-depth 8", dir);
  REQUIRE(r.code == 0);
  CHECK(r.out.find("gan_phantom: wrote 8 slices") != std::string::npos);
  CHECK(fs::exists(out + "/testB/subj002_slice001.png"));

  r = run_tool("gan_eval", "--pred " + out + "/testB --target " + out + "/testB --json " + dir.file("e.json") +
                               " --csv " + dir.file("e.csv"), dir);
  REQUIRE(r.code == 0);
  std::ifstream jf(dir.file("e.json"));
  nlohmann::json j = nlohmann::json::parse(jf);
  CHECK(j["count"] == 2);
  CHECK(j["mean"]["ssim"].get<double>() == Approx(1.0));
  CHECK(j["mean"]["psnr"].get<double>() == 100.0);
  std::ifstream cf(dir.file("e.csv"));
  std::string header;
  std::getline(cf, header);
  CHECK(header == "name,psnr,ssim,mae,psnr_fg,ssim_fg,mae_fg");

  r = run_tool("gan_eval", "--input " + out + "/testA --translated " + out + "/testB --reconstructed " + out +
                               "/testA --real-target " + out + "/trainB --json " + dir.file("u.json"), dir);
  REQUIRE(r.code == 0);
  std::ifstream uf(dir.file("u.json"));
  nlohmann::json u = nlohmann::json::parse(uf);
  CHECK(u["cycle_mean"]["mae"].get<double>() == 0.0);
  CHECK(u["wasserstein_fg"].get<double>() > 0.0);
  // The structure score of the translations (here the real T2 slices) against the inputs.
  CHECK(r.out.find("translated vs input over 2 images: edge_corr 0.") != std::string::npos);
  const double real_t2_edges = u["cycle_mean"]["edge_corr"].get<double>();
  CHECK(real_t2_edges > 0.2);
  CHECK(real_t2_edges < 0.95);
}

TEST_CASE("gan_eval --input in paired mode: edge_corr of the predictions and of the real targets", "[cli]") {
  gan::testing::TempDir dir;
  std::string ph = dir.file("ph");
  REQUIRE(run_tool("gan_phantom", "--out " + ph + " --subjects 1 --test-subjects 1 --slices 2 --size 48", dir).code == 0);
  // The identity baseline: the prediction is the input itself, so its edges are the input's.
  Run r = run_tool("gan_eval", "--pred " + ph + "/testA --target " + ph + "/testB --input " + ph + "/testA --json " +
                                   dir.file("e.json") + " --csv " + dir.file("e.csv"), dir);
  REQUIRE(r.code == 0);
  CHECK(r.out.find("edge_corr with the input") != std::string::npos);
  CHECK(r.out.find("prediction 1.0000 | real target 0.") != std::string::npos);
  nlohmann::json j = nlohmann::json::parse(gan::testing::read_bytes(dir.file("e.json")));
  CHECK(j["input"] == ph + "/testA");
  CHECK(j["mean"]["edge_corr"].get<double>() == Approx(1.0).epsilon(1e-6));
  const double reference = j["mean"]["edge_corr_target"].get<double>();
  CHECK(reference > 0.2);
  CHECK(reference < 0.95);
  CHECK(j["images"][1]["edge_corr_target"].is_number());
  std::ifstream cf(dir.file("e.csv"));
  std::string header;
  std::getline(cf, header);
  CHECK(header == "name,psnr,ssim,mae,psnr_fg,ssim_fg,mae_fg,edge_corr,edge_corr_target");

  // The real T2 as the prediction reaches exactly the reference value.
  r = run_tool("gan_eval", "--pred " + ph + "/testB --target " + ph + "/testB --input " + ph + "/testA --json " +
                               dir.file("t.json"), dir);
  REQUIRE(r.code == 0);
  nlohmann::json t = nlohmann::json::parse(gan::testing::read_bytes(dir.file("t.json")));
  CHECK(t["mean"]["edge_corr"].get<double>() == Approx(reference));

  // --input alone is neither mode; an input of the wrong kind or with a missing image is named.
  r = run_tool("gan_eval", "--input " + ph + "/testA", dir);
  CHECK(r.code == 2);
  CHECK(lines(r.err) == 1);
  r = run_tool("gan_eval", "--pred " + ph + "/testA --target " + ph + "/testB --input " + dir.file("v.nii.gz"), dir);
  CHECK(r.code == 2);
  CHECK(lines(r.err) == 1);
  CHECK(r.err.find("--input") != std::string::npos);
  r = run_tool("gan_eval", "--pred " + ph + "/testA --target " + ph + "/testB --input " + ph + "/trainA", dir);
  CHECK(r.code == 2);
  CHECK(lines(r.err) == 1);
  CHECK(r.err.find("missing") != std::string::npos);
}

TEST_CASE("gan_phantom / gan_eval: bad input exits 2 with a one-line message", "[cli]") {
  gan::testing::TempDir dir;
  std::ofstream(dir.file("plain")) << "x";
  Run r = run_tool("gan_phantom", "--out " + dir.file("plain") + "/sub --size 32", dir);
  CHECK(r.code == 2);
  CHECK(lines(r.err) == 1);
  CHECK(r.err.find("--out") != std::string::npos);

  r = run_tool("gan_phantom", "--out " + dir.file("x") + " --no-such-flag", dir);
  CHECK(r.code == 2);
  CHECK(lines(r.err) == 1);
  r = run_tool("gan_phantom", "--out " + dir.file("x") + " --bit-depth 12", dir);
  CHECK(r.code == 2);
  CHECK(r.err.find("--bit-depth") != std::string::npos);

  r = run_tool("gan_eval", "--pred " + dir.file("missing") + " --target " + dir.file("missing"), dir);
  CHECK(r.code == 2);
  CHECK(lines(r.err) == 1);
  CHECK(r.err.find("missing") != std::string::npos);
  r = run_tool("gan_eval", "--pred " + dir.file("x"), dir);
  CHECK(r.code == 2);
}
