// The Trainer end to end on tiny PNG folders: run dir files, and bitwise-exact --resume through
// the data loader.
#include <catch2/catch.hpp>
#include <filesystem>
#include <sstream>
#include <unistd.h>

#include "tests/train/data/volume_fixtures.h"
#include "train/io/image_io.h"
#include "train/trainer.h"

using namespace gan;
using namespace gan::train;
namespace fs = std::filesystem;

namespace {

std::string make_data(const std::string& root) {
  for (const char* d : {"A", "B"}) fs::create_directories(root + "/" + d);
  for (int i = 0; i < 3; ++i) {
    io::Image img;
    img.width = img.height = 40;
    img.pixels.resize(40 * 40);
    for (int p = 0; p < 40 * 40; ++p) img.pixels[p] = float((p * (i + 3)) % 97) / 96.f;
    io::save_png(root + "/A/" + std::to_string(i) + ".png", img);
    for (float& v : img.pixels) v = 1.f - v;
    io::save_png(root + "/B/" + std::to_string(i) + ".png", img);
  }
  return root;
}

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

}  // namespace

TEST_CASE("trainer: run dir files, and resume is bitwise the same as one run", "[train]") {
  const std::string root = (fs::temp_directory_path() / ("gan_trainer_" + std::to_string(getpid()))).string();
  const std::string data = make_data(root + "/data");
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
