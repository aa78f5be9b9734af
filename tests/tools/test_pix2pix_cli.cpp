// Paired training with the tools, as a user runs it: gan_phantom --paired, gan_train --mode pix2pix
// (a few steps at 32x32, an exact resume), gan_infer t1-to-t2 on the checkpoint (t2-to-t1 refused),
// gan_report on the run; PNG slices, NIfTI volumes and DICOM series; one-line errors for data
// that does not pair.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "tests/tools/run_tool.h"
#include "tests/train/temp_dir.h"
#include "train/io/safetensors.h"

namespace fs = std::filesystem;
using gan::testing::lines;
using gan::testing::run_tool;
using gan::testing::TempDir;
using Run = gan::testing::ToolRun;

namespace {

// gan_train --mode pix2pix on <data>/trainA and <data>/trainB: tiny networks, one thread (tiny
// networks gain nothing from more, and stay fast on a machine busy with other work).
std::string pix2pix_args(const std::string& data, const std::string& out) {
  return "--mode pix2pix --data-a " + data + "/trainA --data-b " + data + "/trainB --out " + out +
         " --size 32 --load-size 36 --ngf 8 --ndf 8 --epochs 1 --decay-epochs 1 --threads 1";
}

void require_same_tensors(const std::string& x, const std::string& y) {
  const auto a = gan::io::load_safetensors(x), b = gan::io::load_safetensors(y);
  REQUIRE(a.tensors.size() == b.tensors.size());
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    INFO(a.tensors[i].first);
    REQUIRE(a.tensors[i].first == b.tensors[i].first);
    REQUIRE(a.tensors[i].second.to_vector<float>() == b.tensors[i].second.to_vector<float>());
  }
}

void check_one_line_error(const Run& r, const std::string& needle) {
  INFO(r.err);
  CHECK(r.code == 2);
  CHECK(lines(r.err) == 1);
  CHECK(r.err.find(needle) != std::string::npos);
}

}  // namespace

TEST_CASE("pix2pix CLI: paired phantom, training, exact resume, gan_infer and gan_report", "[cli][pix2pix]") {
  TempDir dir;
  const std::string ph = dir.file("ph");
  Run r = run_tool("gan_phantom", "--out " + ph + " --paired --size 32 --subjects 2 --test-subjects 1 --slices 3 "
                                  "--supersample 1", dir);
  REQUIRE(r.code == 0);
  CHECK(r.out.find("paired: the same subjects") != std::string::npos);
  CHECK(fs::exists(ph + "/trainA/subj001_slice002.png"));
  CHECK(fs::exists(ph + "/trainB/subj001_slice002.png"));

  const Run straight = run_tool("gan_train", pix2pix_args(ph, dir.file("one")) + " --steps 4", dir);
  INFO(straight.out << straight.err);
  REQUIRE(straight.code == 0);
  CHECK(straight.out.find("pix2pix parameters: G_AB ") != std::string::npos);
  CHECK(straight.out.find("6 pairs") != std::string::npos);
  const std::string csv = gan::testing::read_bytes(dir.file("one/losses.csv"));
  CHECK(csv.substr(0, csv.find('\n')) == "step,epoch,G_adv,G_L1,loss_G,D,lr,seconds");
  CHECK(fs::exists(dir.file("one/samples/step_004.png")));
  const std::string ckpt = dir.file("one/checkpoints/latest.safetensors");
  REQUIRE(fs::exists(ckpt));

  REQUIRE(run_tool("gan_train", pix2pix_args(ph, dir.file("two")) + " --steps 2", dir).code == 0);
  const Run resumed = run_tool("gan_train", pix2pix_args(ph, dir.file("two")) + " --steps 4 --resume", dir);
  INFO(resumed.err);
  REQUIRE(resumed.code == 0);
  CHECK(resumed.out.find("resumed from") != std::string::npos);
  require_same_tensors(ckpt, dir.file("two/checkpoints/latest.safetensors"));

  r = run_tool("gan_infer", "--checkpoint " + ckpt + " --direction t1-to-t2 --input " + ph + "/testA --output " +
                                dir.file("pred"), dir);
  INFO(r.err);
  REQUIRE(r.code == 0);
  for (const auto& e : fs::directory_iterator(ph + "/testA"))
    CHECK(fs::exists(dir.file("pred/" + e.path().filename().string())));
  r = run_tool("gan_infer", "--checkpoint " + ckpt + " --direction t2-to-t1 --input " + ph + "/testB --output " +
                                dir.file("pred_back"), dir);
  check_one_line_error(r, "pix2pix checkpoint has only the t1-to-t2 generator");
  CHECK_FALSE(fs::exists(dir.file("pred_back")));

  r = run_tool("gan_report", "--run " + dir.file("one") + " --out " + dir.file("report"), dir);
  REQUIRE(r.code == 0);
  const std::string html = gan::testing::read_bytes(dir.file("report/index.html"));
  CHECK(html.find(">G_L1</text>") != std::string::npos);
  CHECK(html.find("input | translated | target") != std::string::npos);

  // Resuming the pix2pix run as a CycleGAN is refused by name.
  r = run_tool("gan_train", pix2pix_args(ph, dir.file("one")).replace(0, 14, "--mode cyclegan") + " --resume", dir);
  check_one_line_error(r, "a pix2pix checkpoint, this run is --mode cyclegan");
}

TEST_CASE("pix2pix CLI: paired NIfTI volumes and DICOM series train and translate", "[cli][pix2pix]") {
  TempDir dir;
  for (const std::string format : {"nifti", "dicom"}) {
    const std::string ph = dir.file("ph_" + format);
    REQUIRE(run_tool("gan_phantom", "--out " + ph + " --paired --format " + format + " --size 32 --subjects 1 "
                                    "--test-subjects 1 --slices 4 --supersample 1", dir).code == 0);
    const Run t = run_tool("gan_train", pix2pix_args(ph, dir.file("run_" + format)) + " --steps 2", dir);
    INFO(format << ": " << t.out << t.err);
    REQUIRE(t.code == 0);
    CHECK(t.out.find("4 pairs") != std::string::npos);
    const std::string source = ph + "/testA/subj002" + (format == "nifti" ? ".nii.gz" : "");
    const Run i = run_tool("gan_infer", "--checkpoint " + dir.file("run_" + format + "/checkpoints/latest.safetensors") +
                                            " --direction t1-to-t2 --input " + source + " --output " +
                                            dir.file("pred_" + format + ".nii.gz"), dir);
    INFO(i.err);
    REQUIRE(i.code == 0);
    CHECK(fs::exists(dir.file("pred_" + format + ".nii.gz")));
  }
}

TEST_CASE("pix2pix CLI: a name without a pair, two sizes, two grids, a bad --mode: one line, exit 2",
          "[cli][pix2pix]") {
  TempDir dir;
  const std::string phantom = "--paired --subjects 1 --test-subjects 0 --slices 2 --supersample 1 --out ";
  REQUIRE(run_tool("gan_phantom", phantom + dir.file("p32") + " --size 32", dir).code == 0);
  REQUIRE(run_tool("gan_phantom", phantom + dir.file("p40") + " --size 40", dir).code == 0);
  REQUIRE(run_tool("gan_phantom", phantom + dir.file("v2") + " --size 32 --format nifti", dir).code == 0);
  REQUIRE(run_tool("gan_phantom", phantom.substr(0, phantom.find("--slices")) + "--slices 3 --supersample 1 --out " +
                                      dir.file("v3") + " --size 32 --format nifti", dir).code == 0);
  const std::string train = " --mode pix2pix --size 32 --load-size 36 --ngf 4 --ndf 4 --steps 1 --threads 1 --out ";

  fs::rename(dir.file("p32/trainB/subj000_slice001.png"), dir.file("p32/trainB/other.png"));
  Run r = run_tool("gan_train", "--data-a " + dir.file("p32/trainA") + " --data-b " + dir.file("p32/trainB") +
                                    train + dir.file("r1"), dir);
  check_one_line_error(r, dir.file("p32/trainA/subj000_slice001.png") + ": no image named subj000_slice001.png");
  fs::rename(dir.file("p32/trainB/other.png"), dir.file("p32/trainB/subj000_slice001.png"));

  r = run_tool("gan_train", "--data-a " + dir.file("p32/trainA") + " --data-b " + dir.file("p40/trainB") +
                                train + dir.file("r2"), dir);
  check_one_line_error(r, dir.file("p40/trainB/subj000_slice000.png") + ": 40x40 pixels, its pair");

  r = run_tool("gan_train", "--data-a " + dir.file("v2/trainA") + " --data-b " + dir.file("v3/trainB") +
                                train + dir.file("r3"), dir);
  check_one_line_error(r, dir.file("v3/trainB/subj000.nii.gz") + ": 32x32x3 voxels, its pair");

  r = run_tool("gan_train", "--data-a " + dir.file("p32/trainA") + " --data-b " + dir.file("p32/trainB") +
                                " --mode pix2pixhd --out " + dir.file("r4"), dir);
  check_one_line_error(r, "--mode must be cyclegan or pix2pix");
}
