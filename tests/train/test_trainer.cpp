// The Trainer end to end on tiny PNG folders: run dir files, and bitwise-exact --resume through
// the data loader.
#include <catch2/catch.hpp>
#include <filesystem>
#include <sstream>
#include <unistd.h>

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
  auto x = straight.nets().named_parameters(), y = second.nets().named_parameters();
  REQUIRE(x.size() == y.size());
  for (size_t i = 0; i < x.size(); ++i) {
    INFO(x[i].first);
    REQUIRE(x[i].second.to_vector<float>() == y[i].second.to_vector<float>());
  }
  fs::remove_all(root);
}
