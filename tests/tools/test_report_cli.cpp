// gan_eval --baseline invert and gan_report as the demo and tools/quality.sh use them.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/tools/run_tool.h"
#include "tests/train/temp_dir.h"

namespace fs = std::filesystem;
using gan::testing::read_bytes;

namespace {

int run(const std::string& tool, const std::string& args, const gan::testing::TempDir& dir,
        std::string* err = nullptr) {
  const gan::testing::ToolRun r = gan::testing::run_tool(tool, args, dir);
  if (err) *err = r.err;
  return r.code;
}

double mean_of(const std::string& json_path, const char* key) {
  return nlohmann::json::parse(read_bytes(json_path))["mean"][key].get<double>();
}

}  // namespace

TEST_CASE("gan_eval --baseline invert scores 1 - T1 and differs from the identity baseline", "[cli][report]") {
  gan::testing::TempDir dir;
  std::string ph = dir.file("ph");
  REQUIRE(run("gan_phantom", "--out " + ph + " --subjects 1 --test-subjects 1 --slices 2 --size 48", dir) == 0);
  REQUIRE(run("gan_eval", "--pred " + ph + "/testA --target " + ph + "/testB --json " + dir.file("id.json"), dir) == 0);
  REQUIRE(run("gan_eval", "--pred " + ph + "/testA --target " + ph + "/testB --baseline invert --json " +
                              dir.file("inv.json"), dir) == 0);
  // T2 is roughly T1 with the tissue order reversed: inverting must bring the foreground closer.
  CHECK(mean_of(dir.file("inv.json"), "ssim_fg") > mean_of(dir.file("id.json"), "ssim_fg"));
  std::string err;
  CHECK(run("gan_eval", "--pred " + ph + "/testA --target " + ph + "/testB --baseline bogus", dir, &err) == 2);
  CHECK(err.find("baseline") != std::string::npos);
}

TEST_CASE("gan_report writes index.html with the metric table, test grid and training curves", "[cli][report]") {
  gan::testing::TempDir dir;
  std::string ph = dir.file("ph"), run_dir = dir.file("run"), report = dir.file("report");
  REQUIRE(run("gan_phantom", "--out " + ph + " --subjects 1 --test-subjects 1 --slices 2 --size 32", dir) == 0);
  REQUIRE(run("gan_train", "--data-a " + ph + "/trainA --data-b " + ph + "/trainB --out " + run_dir +
                               " --size 32 --load-size 32 --ngf 4 --ndf 4 --steps 3 --num-samples 1", dir) == 0);
  REQUIRE(fs::exists(run_dir + "/report/index.html"));
  REQUIRE(fs::exists(run_dir + "/samples/progress.gif"));
  REQUIRE(run("gan_eval", "--pred " + ph + "/testA --target " + ph + "/testB --json " + dir.file("id.json"), dir) == 0);
  REQUIRE(run("gan_report", "--run " + run_dir + " --out " + report + " --eval identity=" + dir.file("id.json") +
                                " --input " + ph + "/testA --pred " + ph + "/testA --target " + ph + "/testB --rows 2",
              dir) == 0);
  std::string html = read_bytes(report + "/index.html");
  CHECK(html.find("<th>identity</th>") != std::string::npos);
  CHECK(html.find("test_grid.png") != std::string::npos);
  CHECK(fs::file_size(report + "/test_grid.png") > 100);
  CHECK(html.find("<svg") != std::string::npos);
  CHECK(html.find("../run/samples/progress.gif") != std::string::npos);
  std::string err;
  CHECK(run("gan_report", "--run " + run_dir + " --out " + report + " --eval identity=" + dir.file("missing.json"), dir,
            &err) == 2);
  CHECK(err.find("missing.json") != std::string::npos);
}

TEST_CASE("gan_report --quality draws quality.csv as a PNG, and bad input exits 2 with one line", "[cli][report]") {
  gan::testing::TempDir dir;
  gan::testing::write_bytes(dir.file("q.csv"),
                            "recipe,kind,minutes,train_minutes,steps,psnr,ssim,mae,fg_psnr,fg_ssim,fg_mae,edge_corr,"
                            "edge_corr_target\nidentity,baseline,,,,16,0.3,0.1,12,0.03,0.2,1,0.6\n"
                            "seed,model,5,5.0,400,18,0.6,0.05,15,0.42,0.1,0.7,0.6\n");
  std::string err;
  REQUIRE(run("gan_report", "--quality " + dir.file("q.csv") + " --out " + dir.file("q.png"), dir, &err) == 0);
  CHECK(fs::file_size(dir.file("q.png")) > 1000);
  for (const std::string& args : {"--quality " + dir.file("none.csv") + " --out " + dir.file("x.png"),
                                  "--quality " + dir.file("q.csv") + " --run " + dir.path.string() + " --out " +
                                      dir.file("x.png"),
                                  "--out " + dir.file("x.png")}) {
    INFO(args);
    CHECK(run("gan_report", args, dir, &err) == 2);
    CHECK(gan::testing::lines(err) == 1);
  }
  CHECK_FALSE(fs::exists(dir.file("x.png")));
}
