// tools/quality.sh --quick: trains recipes for two budgets of a few seconds on a tiny phantom,
// scores them and the baselines, and writes quality.csv, quality.md and quality.png.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "tests/train/temp_dir.h"
#include "train/io/image_io.h"

namespace fs = std::filesystem;
using gan::testing::read_bytes;

namespace {

// The recipes the test trains: those whose gan_train flags this build has.
const std::string kRecipes = "seed pix2pix";
const int kBudgets = 2;  // --quick's default budgets: 0.05 and 0.1 minutes

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::stringstream in(s);
  for (std::string p; std::getline(in, p, sep);) parts.push_back(p);
  return parts;
}

}  // namespace

TEST_CASE("tools/quality.sh --quick writes the score table, the markdown page and the chart", "[cli][quality]") {
  gan::testing::TempDir dir;
  const fs::path out = dir.path / "quality";
  const std::string cmd = std::string(GAN_SOURCE_DIR) + "/tools/quality.sh --quick --recipes '" + kRecipes +
                          "' --bin " + GAN_BIN_DIR + " --out " + out.string() + " >" + dir.file("log.txt") + " 2>&1";
  const int status = std::system(cmd.c_str());
  const std::string log = read_bytes(dir.file("log.txt"));
  INFO(log);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);

  // Header, the two baselines, one row per recipe and budget; every score a number.
  std::vector<std::string> lines = split(read_bytes((out / "quality.csv").string()), '\n');
  const int recipes = static_cast<int>(split(kRecipes, ' ').size());
  REQUIRE(lines.size() == static_cast<size_t>(1 + 2 + recipes * kBudgets));
  CHECK(lines[0] ==
        "recipe,kind,minutes,train_minutes,steps,psnr,ssim,mae,fg_psnr,fg_ssim,fg_mae,edge_corr,edge_corr_target");
  CHECK(lines[1].rfind("identity,baseline,", 0) == 0);
  CHECK(lines[2].rfind("inverted,baseline,", 0) == 0);
  for (size_t i = 1; i < lines.size(); ++i) {
    INFO(lines[i]);
    std::vector<std::string> cells = split(lines[i], ',');
    REQUIRE(cells.size() == 13);
    for (size_t c = 5; c < cells.size(); ++c) CHECK(std::isfinite(std::stod(cells[c])));
    if (i >= 3) {
      CHECK(cells[1] == "model");
      CHECK(std::stod(cells[3]) > 0);  // measured training minutes
      CHECK(std::stoi(cells[4]) > 0);  // steps
    }
  }
  // Cumulative budgets: the second checkpoint continues the first run.
  std::vector<std::string> first = split(lines[3], ','), second = split(lines[4], ',');
  CHECK(first[0] == second[0]);
  CHECK(std::stoi(second[4]) > std::stoi(first[4]));
  CHECK(std::stod(second[3]) > std::stod(first[3]));

  gan::io::Image chart = gan::io::load_image((out / "quality.png").string());
  CHECK(chart.width == 1320);
  CHECK(chart.height == 340);
  const std::string md = read_bytes((out / "quality.md").string());
  CHECK(md.find("![test-set scores against training minutes](quality.png)") != std::string::npos);
  CHECK(md.find("| seed | 0.1 |") != std::string::npos);
  CHECK(md.find("Real T2 vs T1 edge_corr") != std::string::npos);
  CHECK(log.find("done: " + out.string() + "/quality.csv") != std::string::npos);
}

TEST_CASE("tools/quality.sh: an unknown recipe or bad budgets exit 2 with one line", "[cli][quality]") {
  gan::testing::TempDir dir;
  const std::string script = std::string(GAN_SOURCE_DIR) + "/tools/quality.sh --bin " + GAN_BIN_DIR + " --out " +
                             dir.file("q");
  for (const char* args : {" --recipes 'seed nonsense'", " --minutes '5 2'", " --minutes abc", " --device tpu"}) {
    INFO(args);
    const int status = std::system((script + args + " >" + dir.file("out.txt") + " 2>" + dir.file("err.txt")).c_str());
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 2);
    const std::string err = read_bytes(dir.file("err.txt"));
    CHECK(err.rfind("quality.sh: ", 0) == 0);
    CHECK(std::count(err.begin(), err.end(), '\n') == 1);
  }
}
