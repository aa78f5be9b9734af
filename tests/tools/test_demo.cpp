// tools/demo.sh --smoke: the main job end to end (phantom, train, translate, evaluate, report) with
// the tools of this build. Slower than the other tests (about a minute on 2 cores): it is the one
// test that runs the whole pipeline the README promises.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/train/temp_dir.h"

namespace fs = std::filesystem;
using gan::testing::read_bytes;

TEST_CASE("tools/demo.sh --smoke writes a report with the metric table, grids and curves", "[cli][demo]") {
  gan::testing::TempDir dir;
  const fs::path out = dir.path / "demo";
  const std::string cmd = std::string(GAN_SOURCE_DIR) + "/tools/demo.sh --smoke --bin " + GAN_BIN_DIR +
                          " --out " + out.string() + " >" + dir.file("log.txt") + " 2>&1";
  int status = std::system(cmd.c_str());
  const std::string log = read_bytes(dir.file("log.txt"));
  INFO(log);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);

  for (const char* f : {"report/index.html", "report/test_grid.png", "run/samples/progress.gif",
                        "run/report/index.html", "run/checkpoints/latest.safetensors", "eval/model.json",
                        "eval/identity.json", "eval/invert.json"}) {
    INFO(f);
    CHECK(fs::file_size(out / f) > 100);
  }
  // Every score is a finite number, and the three rows of the table hold them.
  for (const char* name : {"model", "identity", "invert"}) {
    nlohmann::json j = nlohmann::json::parse(read_bytes(out / "eval" / (std::string(name) + ".json")));
    INFO(name);
    for (const char* k : {"psnr", "ssim", "mae", "psnr_fg", "ssim_fg", "mae_fg"})
      CHECK(std::isfinite(j["mean"][k].get<double>()));
    CHECK(j["count"].get<int>() > 0);
  }
  const std::string html = read_bytes(out / "report" / "index.html");
  const std::regex cell("<td>-?[0-9]+\\.[0-9]+</td>");
  const auto cells = std::distance(std::sregex_iterator(html.begin(), html.end(), cell), std::sregex_iterator());
  CHECK(cells >= 18);
  CHECK(html.find("baseline: identity") != std::string::npos);
  CHECK(html.find("baseline: inverted") != std::string::npos);
  CHECK(html.find("<polyline") != std::string::npos);
  CHECK(html.find("test_grid.png") != std::string::npos);
  // The last lines name the report and the headline numbers.
  CHECK(log.find("report: " + (out / "report" / "index.html").string()) != std::string::npos);
  CHECK(std::regex_search(log, std::regex("model +PSNR +[0-9.]+ dB +SSIM +[0-9.]+")));
}
