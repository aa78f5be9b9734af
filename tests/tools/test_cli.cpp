// Error paths of gan_train and gan_infer: each a one-line error naming the file or flag, exit 2.
#include <catch2/catch.hpp>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sys/wait.h>
#include <unistd.h>

#include "train/io/atomic_file.h"
#include "train/io/image_io.h"

using namespace gan;
namespace fs = std::filesystem;

namespace {

struct Result {
  int code;
  std::string err;
};

Result run(const std::string& args) {
  static int n = 0;
  std::string errf = (fs::temp_directory_path() / ("gan_cli_err_" + std::to_string(getpid()) + "_" + std::to_string(n++))).string();
  int status = std::system((args + " > /dev/null 2> " + errf).c_str());
  std::ifstream in(errf);
  std::string err((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  fs::remove(errf);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, err};
}

const std::string bin = GAN_BIN_DIR;
const std::string root = (fs::temp_directory_path() / ("gan_cli_" + std::to_string(getpid()))).string();

void png(const std::string& path, int size = 36) {
  io::Image img;
  img.width = img.height = size;
  img.pixels.assign(size * size, 0.5f);
  io::save_png(path, img);
}

std::string train_args(const std::string& a, const std::string& b, const std::string& out,
                       int ngf = 4) {
  return bin + "/gan_train --data-a " + a + " --data-b " + b + " --out " + out +
         " --size 32 --load-size 36 --ngf " + std::to_string(ngf) +
         " --ndf 4 --epochs 1 --decay-epochs 0 --steps 1";
}

// Removes this process's scratch folder at exit.
struct Cleanup {
  ~Cleanup() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
} cleanup;

// A good data set and a checkpoint trained on it (made once).
void setup() {
  static bool done = false;
  if (done) return;
  done = true;
  for (const char* d : {"A", "B", "empty", "bad"}) fs::create_directories(root + "/" + d);
  png(root + "/A/0.png");
  png(root + "/B/0.png");
  std::ofstream(root + "/A/notes.txt") << "not an image";
  std::ofstream(root + "/bad/0.png") << "\x89PNG\r\n\x1a\n garbage";
  REQUIRE(run(train_args(root + "/A", root + "/B", root + "/run")).code == 0);
}

void check_error(const Result& r, const std::string& needle) {
  INFO(r.err);
  CHECK(r.code == 2);
  CHECK(r.err.find(needle) != std::string::npos);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
}

}  // namespace

TEST_CASE("gan_train: missing and empty folders", "[tools]") {
  setup();
  check_error(run(train_args(root + "/nope", root + "/B", root + "/o1")), root + "/nope");
  check_error(run(train_args(root + "/empty", root + "/B", root + "/o2")), root + "/empty");
}

TEST_CASE("gan_train: a folder with only a corrupt PNG", "[tools]") {
  setup();
  Result r = run(train_args(root + "/bad", root + "/B", root + "/o3"));
  CHECK(r.code == 2);
  CHECK(r.err.find(root + "/bad") != std::string::npos);
}

TEST_CASE("gan_train: a non-image file beside good ones is skipped", "[tools]") {
  setup();
  Result r = run(train_args(root + "/A", root + "/B", root + "/o4"));
  CHECK(r.code == 0);  // A/notes.txt is ignored
}

TEST_CASE("gan_train: resuming with another architecture names the tensor", "[tools]") {
  setup();
  Result r = run(train_args(root + "/A", root + "/B", root + "/run", 8) + " --resume");
  check_error(r, "G_AB.down.0.0.weight");
}

TEST_CASE("gan_train: a bad flag value is a one-line error with exit code 2", "[tools]") {
  setup();
  check_error(run(train_args(root + "/A", root + "/B", root + "/o6") + " --gen vgg"), "--gen");
  check_error(run(bin + "/gan_train --data-a x"), "--data-b");
  check_error(run(train_args(root + "/A", root + "/B", root + "/o7") + " --conv-math fp16"),
              "--conv-math");
  check_error(run(train_args(root + "/A", root + "/B", root + "/o8") + " --structure-loss edges"),
              "--structure-loss");
  check_error(run(train_args(root + "/A", root + "/B", root + "/o9") + " --lambda-structure -1"),
              "--lambda-structure");
}

TEST_CASE("gan_train: --structure-loss ssim and ngf train and log their terms", "[tools]") {
  setup();
  for (std::string loss : {"ssim", "ngf"}) {
    INFO(loss);
    const std::string out = root + "/structure_" + loss;
    REQUIRE(run(train_args(root + "/A", root + "/B", out) + " --structure-loss " + loss +
                " --lambda-structure 2").code == 0);
    std::ifstream csv(out + "/losses.csv");
    std::string header;
    std::getline(csv, header);
    const std::string tail = ",seconds,structure_A,structure_B";
    INFO(header);
    CHECK((header.size() > tail.size() && header.substr(header.size() - tail.size()) == tail));
    std::ifstream config(out + "/config.json");
    std::string json((std::istreambuf_iterator<char>(config)), std::istreambuf_iterator<char>());
    CHECK(json.find("\"structure_loss\": \"" + loss + "\"") != std::string::npos);
  }
}

TEST_CASE("gan_train: --device cuda without a usable GPU", "[tools]") {
  setup();
  if (GAN_HAS_CUDA) return;  // this build has a cuda device
  check_error(run(train_args(root + "/A", root + "/B", root + "/o5") + " --device cuda"), "cuda");
}

TEST_CASE("gan_infer: truncated checkpoint, unwritable output, corrupt input", "[tools]") {
  setup();
  const std::string ckpt = root + "/run/checkpoints/latest.safetensors";
  const std::string infer = bin + "/gan_infer --direction t1-to-t2 --checkpoint ";
  REQUIRE(run(infer + ckpt + " --input " + root + "/A/0.png --output " + root + "/out.png").code == 0);
  CHECK(fs::exists(root + "/out.png"));

  std::string bytes = io::read_file(ckpt);
  std::ofstream(root + "/trunc.safetensors", std::ios::binary).write(bytes.data(), bytes.size() / 2);
  check_error(run(infer + root + "/trunc.safetensors --input " + root + "/A/0.png --output " + root + "/o.png"),
              "trunc.safetensors");
  check_error(run(infer + ckpt + " --input " + root + "/A/0.png --output /nonexistent_dir/x/o.png"),
              "/nonexistent_dir/x/o.png");
  check_error(run(infer + ckpt + " --input " + root + "/bad/0.png --output " + root + "/o.png"),
              root + "/bad/0.png");
  check_error(run(infer + ckpt + " --input " + root + "/missing.png --output " + root + "/o.png"),
              "missing.png");
  if (!GAN_HAS_CUDA)
    check_error(run(infer + ckpt + " --device cuda --input " + root + "/A/0.png --output " + root + "/o.png"),
                "cuda");
}
