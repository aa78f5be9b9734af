// Checkpoints: round trip, bitwise-exact resume, clear errors for another architecture and for a
// truncated file.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "core/error.h"
#include "train/io/atomic_file.h"
#include "train/checkpoint.h"

using namespace gan;
using namespace gan::train;
namespace fs = std::filesystem;

namespace {

TrainConfig tiny_config() {
  TrainConfig c;
  c.model.size = 32;
  c.model.ngf = c.model.ndf = 4;
  c.load_size = 32;
  c.pool = 2;
  return c;
}

struct Run {
  models::CycleGAN nets;
  CycleGANStep step;
  explicit Run(const TrainConfig& c)
      : nets(c.model, c.seed), step(nets, {}, {c.lr, c.beta1, c.beta2}, c.pool, 77) {}
  void train(int from, int to) {
    for (int s = from; s < to; ++s) {
      Rng g(1000 + s);  // batch s depends only on s
      Tensor a = Tensor::uniform({1, 1, 32, 32}, g, -1, 1);
      Tensor b = Tensor::uniform({1, 1, 32, 32}, g, -1, 1);
      step.step(a, b);
    }
  }
};

std::string temp_dir(const std::string& name) {
  auto d = fs::temp_directory_path() / ("gan_test_ckpt_" + name + std::to_string(::getpid()));
  fs::create_directories(d);
  return d.string();
}

}  // namespace

TEST_CASE("checkpoint: N + resume + N steps is bitwise the same as 2N steps", "[train]") {
  const TrainConfig c = tiny_config();
  const std::string dir = temp_dir("resume");
  const int n = 3;
  Run straight(c);
  straight.train(0, 2 * n);

  Run first(c);
  first.train(0, n);
  TrainingPosition pos;
  pos.global_step = n;
  pos.loader = {c.seed, 0, n};
  save_training_checkpoint(dir + "/ckpt.safetensors", c, first.nets, first.step, pos);

  Run resumed(c);
  TrainingPosition back = load_training_checkpoint(dir + "/ckpt.safetensors", resumed.nets, resumed.step);
  CHECK(back.global_step == n);
  CHECK(back.loader.step_in_epoch == n);
  CHECK(resumed.step.opt_G().step_count() == n);
  CHECK(resumed.step.pool_A().size() == 2);
  resumed.train(n, 2 * n);

  auto x = straight.nets.named_parameters(), y = resumed.nets.named_parameters();
  REQUIRE(x.size() == y.size());
  for (size_t i = 0; i < x.size(); ++i) {
    INFO(x[i].first);
    REQUIRE(x[i].second.to_vector<float>() == y[i].second.to_vector<float>());
  }
  for (size_t i = 0; i < straight.step.opt_D().exp_avg_sq().size(); ++i)
    REQUIRE(straight.step.opt_D().exp_avg_sq()[i].to_vector<float>() ==
            resumed.step.opt_D().exp_avg_sq()[i].to_vector<float>());
  fs::remove_all(dir);
}

TEST_CASE("checkpoint: a generator loads alone, in eval mode, with the trained weights", "[train]") {
  const TrainConfig c = tiny_config();
  const std::string dir = temp_dir("gen");
  Run r(c);
  r.train(0, 1);
  save_training_checkpoint(dir + "/c.safetensors", c, r.nets, r.step, {1, {0, 0, 1}});
  models::ModelConfig mc;
  auto g = load_generator(dir + "/c.safetensors", "G_BA", &mc);
  CHECK(mc.size == 32);
  CHECK(mc.ngf == 4);
  CHECK_FALSE(g->is_training());
  auto want = r.nets.G_BA->parameters(), got = g->parameters();
  REQUIRE(want.size() == got.size());
  for (size_t i = 0; i < want.size(); ++i) CHECK(want[i].to_vector<float>() == got[i].to_vector<float>());
  fs::remove_all(dir);
}

TEST_CASE("checkpoint: another architecture or size names the mismatching tensor", "[train]") {
  const TrainConfig c = tiny_config();
  const std::string dir = temp_dir("mismatch");
  Run r(c);
  save_training_checkpoint(dir + "/c.safetensors", c, r.nets, r.step, {0, {0, 0, 0}});
  TrainConfig wider = c;
  wider.model.ngf = 8;
  Run w(wider);
  CHECK_THROWS_WITH(load_training_checkpoint(dir + "/c.safetensors", w.nets, w.step),
                    Catch::Contains("tensor 'G_AB.down.0.0.weight' has shape [4, 1, 4, 4]") &&
                        Catch::Contains("[8, 1, 4, 4]"));
  TrainConfig resnet = c;
  resnet.model.gen = "resnet";
  Run rn(resnet);
  CHECK_THROWS_AS(load_training_checkpoint(dir + "/c.safetensors", rn.nets, rn.step), InputError);
  CHECK_THROWS_WITH(load_training_checkpoint(dir + "/c.safetensors", rn.nets, rn.step),
                    Catch::Contains("G_AB.1.weight"));
  fs::remove_all(dir);
}

TEST_CASE("checkpoint: a truncated file is an InputError naming it", "[train]") {
  const TrainConfig c = tiny_config();
  const std::string dir = temp_dir("trunc");
  Run r(c);
  const std::string path = dir + "/c.safetensors";
  save_training_checkpoint(path, c, r.nets, r.step, {0, {0, 0, 0}});
  std::string bytes = io::read_file(path);
  for (size_t keep : {bytes.size() / 2, size_t(5)}) {
    std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), keep);
    CHECK_THROWS_AS(load_generator(path, "G_AB"), InputError);
    CHECK_THROWS_WITH(load_generator(path, "G_AB"), Catch::Contains(path));
  }
  fs::remove_all(dir);
}
