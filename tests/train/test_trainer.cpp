// The Trainer end to end on tiny PNG folders: run dir files, bitwise-exact --resume through the
// data loader, and the structure-loss settings in losses.csv and config.json.
#include <catch2/catch.hpp>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "tests/train/data/volume_fixtures.h"
#include "tests/train/pattern_pairs.h"
#include "train/dist/communicator.h"
#include "train/io/image_io.h"
#include "train/trainer.h"

using namespace gan;
using namespace gan::train;
namespace fs = std::filesystem;

namespace {

TrainConfig config(const std::string& data, const std::string& out, int64_t steps) {
  TrainConfig c;
  c.data_a = data + "/A";
  c.data_b = data + "/B";
  c.out = out;
  c.model.size = 32;
  c.model.ngf = c.model.ndf = 4;
  c.load_size = 36;
  c.epochs = 2;
  c.decay_epochs = 2;
  c.max_steps = steps;
  c.pool = 2;
  c.num_samples = 2;
  return c;
}

void require_same_parameters(Trainer& a, Trainer& b) {
  auto x = a.nets().named_parameters(), y = b.nets().named_parameters();
  REQUIRE(x.size() == y.size());
  for (size_t i = 0; i < x.size(); ++i) {
    INFO(x[i].first);
    REQUIRE(x[i].second.to_vector<float>() == y[i].second.to_vector<float>());
  }
}

// Rank 0 of two ranks whose other rank computes exactly what this one does: sums double, averages
// keep every value. What a data-parallel run logs must then equal the single process's numbers.
class TwinRanks : public dist::Communicator {
 public:
  TwinRanks() : Communicator(env()) {}
  const char* name() const override { return "twin"; }
  void average(float*, size_t, Device) override {}
  void sum(std::vector<double>& v) override {
    for (double& x : v) x *= 2;
  }
  void max(std::vector<double>&) override {}
  std::vector<uint64_t> allgather(uint64_t v) override { return {v, v}; }
  std::vector<std::string> gather_to_root(const std::string& b) override { return {b, b}; }
  void barrier() override {}
  [[noreturn]] void abort(int code) override { std::exit(code); }

 private:
  static dist::LaunchEnv env() {
    dist::LaunchEnv e;
    e.size = 2;
    return e;
  }
};

}  // namespace

TEST_CASE("trainer: run dir files, and resume is bitwise the same as one run", "[train]") {
  const std::string root = (fs::temp_directory_path() / ("gan_trainer_" + std::to_string(getpid()))).string();
  const std::string data = gan::testing::make_pattern_pairs(root + "/data");
  std::ostringstream log;
  Trainer straight(config(data, root + "/one", 8), false, log);
  straight.run();
  CHECK(fs::exists(root + "/one/config.json"));
  CHECK(fs::exists(root + "/one/losses.csv"));
  CHECK(fs::exists(root + "/one/samples/epoch_001.png"));
  CHECK(fs::exists(root + "/one/checkpoints/latest.safetensors"));
  CHECK(straight.global_step() == 8);

  {
    Trainer first(config(data, root + "/two", 4), false, log);
    first.run();
  }
  Trainer second(config(data, root + "/two", 8), true, log);
  CHECK(second.global_step() == 4);
  second.run();
  require_same_parameters(straight, second);
  fs::remove_all(root);
}

TEST_CASE("trainer: from folders of NIfTI volumes, and resume is bitwise the same", "[train]") {
  const std::string root = (fs::temp_directory_path() / ("gan_trainer_vol_" + std::to_string(getpid()))).string();
  for (const char* d : {"A", "B"}) fs::create_directories(root + "/data/" + d);
  // Two T1-like volumes (one stored sagittally) and one T2-like volume of another "subject".
  io::Volume a0 = gan::testing::make_head_volume(36, 34, 6, 1.0, 1.0, 2.0, 1);
  io::Volume a1 = gan::testing::restore_volume(gan::testing::make_head_volume(36, 34, 5, 1.0, 1.0, 2.0, 2),
                                               {1, 2, 0}, {false, true, false});
  io::Volume b0 = gan::testing::make_head_volume(30, 40, 7, 1.2, 0.9, 2.0, 3);
  for (float& x : b0.voxels) x = x > 0 ? 1200.f - x : 0.f;
  io::save_nifti(root + "/data/A/s0.nii.gz", a0, a0.voxels);
  io::save_nifti(root + "/data/A/s1.nii", a1, a1.voxels);
  io::save_nifti(root + "/data/B/s2.nii.gz", b0, b0.voxels);

  std::ostringstream log;
  Trainer straight(config(root + "/data", root + "/one", 6), false, log);
  CHECK_THAT(log.str(), Catch::Contains("s1.nii: "));
  CHECK_THAT(log.str(), Catch::Contains("axial slices kept"));
  CHECK(straight.total_steps() > 0);
  straight.run();
  CHECK(fs::exists(root + "/one/slice_cache/A.slices"));
  {
    Trainer first(config(root + "/data", root + "/two", 3), false, log);
    first.run();
  }
  std::ostringstream resumed_log;
  Trainer second(config(root + "/data", root + "/two", 6), true, resumed_log);
  CHECK_THAT(resumed_log.str(), Catch::Contains("from the cache"));
  second.run();
  require_same_parameters(straight, second);
  fs::remove_all(root);
}

TEST_CASE("trainer: a structure loss appends its columns to losses.csv and survives resume", "[train]") {
  const std::string root = (fs::temp_directory_path() / ("gan_trainer_struct_" + std::to_string(getpid()))).string();
  const std::string data = gan::testing::make_pattern_pairs(root + "/data");
  std::ostringstream log;
  TrainConfig c = config(data, root + "/run", 2);
  c.structure_loss = "ngc";
  c.lambda_structure = 0.5;
  {
    Trainer first(c, false, log);
    first.run();
  }
  c.max_steps = 3;
  Trainer second(c, true, log);
  second.run();
  std::ifstream csv(root + "/run/losses.csv");
  std::string header, row;
  std::getline(csv, header);
  // New columns come after every older one, so readers by position keep working.
  CHECK(header == "step,epoch,adv_AB,adv_BA,cycle_A,cycle_B,identity_A,identity_B,loss_G,D_A,D_B,"
                  "lr,seconds,structure_A,structure_B");
  int rows = 0;
  while (std::getline(csv, row)) {
    ++rows;
    INFO(row);
    CHECK(std::count(row.begin(), row.end(), ',') == 14);
    const double structure_b = std::stod(row.substr(row.rfind(',') + 1));
    CHECK(structure_b > 0);
    CHECK(structure_b < 2);
  }
  CHECK(rows == 3);
  std::ifstream json(root + "/run/config.json");
  std::string text((std::istreambuf_iterator<char>(json)), std::istreambuf_iterator<char>());
  TrainConfig back = TrainConfig::from_json(text, "config.json");
  CHECK(back.structure_loss == "ngc");
  CHECK(back.lambda_structure == 0.5);
  fs::remove_all(root);
}

TEST_CASE("train config: structure loss fields, defaults for old files, bad names", "[train]") {
  // New runs default to NGF at weight 5; a config written before the field resumes without one.
  CHECK(TrainConfig().structure_loss == "ngf");
  CHECK(TrainConfig().lambda_structure == 5.0);
  TrainConfig old = TrainConfig::from_json(R"({"gan_loss": "lsgan", "lambda_cycle": 5})", "old.json");
  CHECK(old.structure_loss == "none");
  CHECK(old.lambda_structure == 1.0);
  old.validate();
  TrainConfig c;
  c.structure_loss = "ssim";
  c.lambda_structure = 3;
  TrainConfig back = TrainConfig::from_json(c.to_json(), "x");
  CHECK(back.structure_loss == "ssim");
  CHECK(back.lambda_structure == 3);
  c.structure_loss = "ngf";
  c.validate();
  CHECK(TrainConfig::from_json(c.to_json(), "x").structure_loss == "ngf");
  c.structure_loss = "edges";
  CHECK_THROWS_WITH(c.validate(), Catch::Contains("--structure-loss") && Catch::Contains("'edges'") &&
                                      Catch::Contains("ngf"));
  c.structure_loss = "ngc";
  c.lambda_structure = -1;
  CHECK_THROWS_WITH(c.validate(), Catch::Contains("--lambda-structure"));
  CHECK_THROWS_WITH(TrainConfig::from_json(R"({"structure_loss": 1})", "c.json"),
                    Catch::Contains("'structure_loss' must be a string"));
}

TEST_CASE("trainer: data-parallel loss averaging keeps every term, structure terms included", "[train][dist]") {
  const std::string root = (fs::temp_directory_path() / ("gan_trainer_twin_" + std::to_string(getpid()))).string();
  const std::string data = gan::testing::make_pattern_pairs(root + "/data");
  std::ostringstream log;
  TrainConfig c = config(data, root + "/run", 1);
  c.structure_loss = "ssim";
  c.model.gen = "resnet";  // no dropout: a rank's share would draw other masks than one process
  StepLosses single, averaged;
  {
    Trainer t(c, false, log);
    single = t.train_step();
  }
  {
    fs::remove_all(root + "/run");
    TwinRanks twins;
    Trainer t(c, false, log, &twins);
    averaged = t.train_step();
  }
  CHECK(single.structure_A > 0);
  CHECK(averaged.csv_row() == single.csv_row());
  CHECK(averaged.structure_csv_row() == single.structure_csv_row());
  fs::remove_all(root);
}
