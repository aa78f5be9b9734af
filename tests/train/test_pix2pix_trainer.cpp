// The Trainer in pix2pix mode on tiny paired folders: run dir files (losses.csv columns, the
// input | translated | target sample grid), bitwise-exact --resume from images and from volumes,
// and what the checkpoint tells gan_infer and a resume of the other mode.
#include <catch2/catch.hpp>
#include <filesystem>
#include <sstream>

#include "core/error.h"
#include "tests/train/data/volume_fixtures.h"
#include "tests/train/one_thread.h"
#include "tests/train/pattern_pairs.h"
#include "tests/train/temp_dir.h"
#include "train/io/image_io.h"
#include "train/io/safetensors.h"
#include "train/report/image_grid.h"
#include "train/trainer.h"

using namespace gan;
using namespace gan::train;
using gan::testing::TempDir;
namespace fs = std::filesystem;

namespace {

TrainConfig config(const std::string& data, const std::string& out, int64_t steps) {
  TrainConfig c;
  c.mode = "pix2pix";
  c.data_a = data + "/A";
  c.data_b = data + "/B";
  c.out = out;
  c.model.size = 32;
  c.model.ngf = c.model.ndf = 4;
  c.load_size = 36;
  c.epochs = 2;
  c.decay_epochs = 2;
  c.max_steps = steps;
  c.num_samples = 2;
  c.log_every = 4;
  return c;
}

void require_same_parameters(Trainer& a, Trainer& b) {
  auto x = a.named_parameters(), y = b.named_parameters();
  REQUIRE(x.size() == y.size());
  for (size_t i = 0; i < x.size(); ++i) {
    INFO(x[i].first);
    REQUIRE(x[i].first == y[i].first);
    REQUIRE(x[i].second.to_vector<float>() == y[i].second.to_vector<float>());
  }
}

std::string first_line(const std::string& path) {
  std::string text = gan::testing::read_bytes(path);
  return text.substr(0, text.find('\n'));
}

}  // namespace

TEST_CASE("pix2pix trainer: run dir files, and resume is bitwise the same as one run", "[train][pix2pix]") {
  gan::testing::OneThread one_thread;
  TempDir dir;
  const std::string data = gan::testing::make_pattern_pairs(dir.file("data"));
  std::ostringstream log;
  Trainer straight(config(data, dir.file("one"), 8), false, log);
  REQUIRE(straight.is_pix2pix());
  straight.run();
  CHECK_THAT(log.str(), Catch::Contains("step 8/8") && Catch::Contains("| G ") && Catch::Contains(" L1 "));
  CHECK(first_line(dir.file("one/losses.csv")) == "step,epoch,G_adv,G_L1,loss_G,D,lr,seconds");
  CHECK_THAT(gan::testing::read_bytes(dir.file("one/config.json")), Catch::Contains("\"mode\": \"pix2pix\""));
  CHECK_THAT(gan::testing::read_bytes(dir.file("one/report/index.html")),
             Catch::Contains("pix2pix training run") && Catch::Contains("input | translated | target"));
  // The sample grid: one row per sample pair, input | translated | target.
  const io::Image grid = io::load_image(dir.file("one/samples/epoch_001.png"));
  const Tensor cell = Tensor::zeros({1, 1, 32, 32});
  const io::Image expected = io::make_image_grid({{cell, cell, cell}, {cell, cell, cell}});
  CHECK(grid.width == expected.width);
  CHECK(grid.height == expected.height);
  CHECK(straight.global_step() == 8);
  // The checkpoint: G under CycleGAN's G_AB names, D, their moments, no pools.
  const io::SafetensorsFile f = io::load_safetensors(dir.file("one/checkpoints/latest.safetensors"));
  CHECK(f.metadata.at("format") == "gan-pix2pix/1");
  CHECK(f.find("G_AB.last.0.bias"));
  CHECK(f.find("D.0.weight"));
  CHECK(f.find("opt_D.exp_avg.D.0.weight"));
  CHECK_FALSE(f.find("G_BA.last.0.bias"));
  CHECK_FALSE(f.metadata.count("pool_rng"));

  {
    Trainer first(config(data, dir.file("two"), 4), false, log);
    first.run();
  }
  Trainer second(config(data, dir.file("two"), 8), true, log);
  CHECK(second.global_step() == 4);
  second.run();
  require_same_parameters(straight, second);
  CHECK_THROWS_AS(second.nets(), std::logic_error);
  CHECK_THROWS_AS(second.train_step(), std::logic_error);
}

TEST_CASE("pix2pix trainer: from paired NIfTI volumes, and resume is bitwise the same", "[train][pix2pix]") {
  gan::testing::OneThread one_thread;
  TempDir dir;
  for (const char* d : {"A", "B"}) fs::create_directories(dir.path / "data" / d);
  for (int s = 0; s < 2; ++s) {
    io::Volume a = gan::testing::make_head_volume(36, 34, 5, 1.0, 1.0, 2.0, s + 1);
    io::Volume b = a;
    for (float& x : b.voxels) x = x > 0 ? 1200.f - x : 0.f;
    io::save_nifti(dir.file("data/A/s" + std::to_string(s) + ".nii.gz"), a, a.voxels);
    io::save_nifti(dir.file("data/B/s" + std::to_string(s) + ".nii.gz"), b, b.voxels);
  }
  std::ostringstream log;
  Trainer straight(config(dir.file("data"), dir.file("one"), 6), false, log);
  CHECK_THAT(log.str(), Catch::Contains("pairs"));
  straight.run();
  CHECK(fs::exists(dir.file("one/slice_cache/B.slices")));
  {
    Trainer first(config(dir.file("data"), dir.file("two"), 3), false, log);
    first.run();
  }
  std::ostringstream resumed_log;
  Trainer second(config(dir.file("data"), dir.file("two"), 6), true, resumed_log);
  CHECK_THAT(resumed_log.str(), Catch::Contains("from the cache"));
  second.run();
  require_same_parameters(straight, second);
}

TEST_CASE("pix2pix checkpoint: gan_infer's t1-to-t2 generator only, and the other mode is refused", "[train][pix2pix]") {
  gan::testing::OneThread one_thread;
  TempDir dir;
  const std::string data = gan::testing::make_pattern_pairs(dir.file("data"));
  std::ostringstream log;
  {
    Trainer t(config(data, dir.file("run"), 1), false, log);
    t.run();
  }
  const std::string ckpt = dir.file("run/checkpoints/latest.safetensors");
  models::ModelConfig mc;
  auto g = load_generator(ckpt, "G_AB", &mc);
  CHECK(mc.ngf == 4);
  Tensor y = (*g)(Tensor::zeros({1, 1, 32, 32}));
  CHECK(y.shape() == Shape{1, 1, 32, 32});
  CHECK_THROWS_WITH(load_generator(ckpt, "G_BA"),
                    Catch::Contains(ckpt) && Catch::Contains("pix2pix checkpoint has only the t1-to-t2 generator"));
  TrainConfig cyclegan = config(data, dir.file("run"), 2);
  cyclegan.mode = "cyclegan";
  CHECK_THROWS_WITH(Trainer(cyclegan, true, log),
                    Catch::Contains("a pix2pix checkpoint, this run is --mode cyclegan"));
}

TEST_CASE("pix2pix config: mode and lambda_l1 validated, saved, and cyclegan for old files", "[train][pix2pix]") {
  TrainConfig c;
  CHECK(c.mode == "cyclegan");
  CHECK(c.lambda_l1 == 100.0);
  c.mode = "pix2pix";
  c.lambda_l1 = 25;
  const TrainConfig back = TrainConfig::from_json(c.to_json(), "x");
  CHECK(back.mode == "pix2pix");
  CHECK(back.lambda_l1 == 25);
  CHECK(TrainConfig::from_json(R"({"gen": "unet"})", "old.json").mode == "cyclegan");
  CHECK_THROWS_AS(TrainConfig::from_json(R"({"mode": 3})", "bad.json"), InputError);
  c.mode = "pix2pixhd";
  CHECK_THROWS_WITH(c.validate(), Catch::Contains("--mode must be cyclegan or pix2pix"));
  c.mode = "pix2pix";
  c.lambda_l1 = -1;
  CHECK_THROWS_WITH(c.validate(), Catch::Contains("--lambda-l1"));
}
