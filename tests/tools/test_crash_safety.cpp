// gan_train under kills, signals and a full disk: SIGKILL at random moments (many during a
// checkpoint write) never leaves a half-written checkpoint, every resume starts from the last
// complete one, and the killed-and-resumed run ends with the same weights as an uninterrupted one.
// SIGINT/SIGTERM checkpoint and print the resume command; ENOSPC keeps the previous checkpoint.
// The slow writes, the full disk and the NaN come from gan_train_faults (the same command line
// with test hooks). GAN_CRASH_KILLS (default 6) sets the number of kills.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "train/io/image_io.h"
#include "train/io/safetensors.h"
#include "tests/tools/spawn.h"
#include "tests/train/temp_dir.h"

using namespace gan;
namespace fs = std::filesystem;
using gan::testing::read_bytes;

namespace {

using gan::testing::spawn;

const std::string bin = GAN_BIN_DIR;
const std::string root =
    (fs::temp_directory_path() / ("gan_crash_" + std::to_string(getpid()))).string();

struct Cleanup {
  ~Cleanup() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
} cleanup;

void make_data() {
  static bool done = false;
  if (done) return;
  for (const char* d : {"A", "B"}) fs::create_directories(root + "/data/" + d);
  for (int i = 0; i < 3; ++i) {
    io::Image img;
    img.width = img.height = 32;
    img.pixels.resize(32 * 32);
    for (int p = 0; p < 32 * 32; ++p) img.pixels[p] = float((p * (i + 5)) % 83) / 82.f;
    io::save_png(root + "/data/A/" + std::to_string(i) + ".png", img);
    for (float& v : img.pixels) v = 1.f - v * v;
    io::save_png(root + "/data/B/" + std::to_string(i) + ".png", img);
  }
  done = true;
}

// 3 images per domain, 3 epochs: 9 steps, latest written after every one.
std::vector<std::string> train_args(const std::string& out, const std::string& extra_steps = "") {
  std::vector<std::string> a = {bin + "/gan_train", "--data-a", root + "/data/A", "--data-b",
                                root + "/data/B", "--out", out, "--gen", "unet", "--size", "32",
                                "--load-size", "32", "--ngf", "4", "--ndf", "4", "--epochs", "2",
                                "--decay-epochs", "1", "--save-every-steps", "1",
                                "--sample-every", "0", "--num-samples", "1", "--threads", "1",
                                "--pool", "2", "--log-every", "1"};
  if (!extra_steps.empty()) a.insert(a.end(), {"--steps", extra_steps});
  return a;
}


int wait_for(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

// Waits until the file contains `text` (or the process ended, or 120 s passed).
bool wait_for_text(const std::string& path, const std::string& text, pid_t pid) {
  for (int i = 0; i < 6000; ++i) {
    if (read_bytes(path).find(text) != std::string::npos) return true;
    int status;
    if (::waitpid(pid, &status, WNOHANG) == pid) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

int64_t latest_step(const std::string& out) {
  io::SafetensorsFile f = io::load_safetensors(out + "/checkpoints/latest.safetensors");
  return std::stoll(f.metadata.at("global_step"));
}

// Every *.safetensors in the run dir must load completely.
void require_all_checkpoints_load(const std::string& out) {
  for (auto& e : fs::recursive_directory_iterator(out)) {
    if (e.path().extension() != ".safetensors") continue;
    INFO(e.path().string());
    REQUIRE_NOTHROW(io::load_safetensors(e.path().string()));
  }
}

}  // namespace

// The run in `out` finished: its final state equals the uninterrupted reference run's, and
// losses.csv lists steps 1..9 once each despite the rows logged past killed checkpoints.
static void require_same_as_reference(const std::string& ref, const std::string& out) {
  io::SafetensorsFile a = io::load_safetensors(ref + "/checkpoints/latest.safetensors");
  io::SafetensorsFile b = io::load_safetensors(out + "/checkpoints/latest.safetensors");
  CHECK(a.metadata.at("global_step") == "9");
  CHECK(b.metadata.at("global_step") == "9");
  REQUIRE(a.tensors.size() == b.tensors.size());
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    INFO(a.tensors[i].first);
    REQUIRE(a.tensors[i].first == b.tensors[i].first);
    const Tensor& x = a.tensors[i].second;
    const Tensor& y = b.tensors[i].second;
    REQUIRE(x.shape() == y.shape());
    CHECK(std::memcmp(x.raw_data(), y.raw_data(), x.numel() * dtype_size(x.dtype())) == 0);
  }
  std::ifstream csv(out + "/losses.csv");
  std::string line;
  std::getline(csv, line);
  int64_t expect = 1;
  while (std::getline(csv, line)) CHECK(std::stoll(line) == expect++);
  CHECK(expect == 10);
}

TEST_CASE("crash safety: random SIGKILLs, resume, same final weights as one run", "[crash]") {
  make_data();
  const std::string ref = root + "/ref";
  auto t0 = std::chrono::steady_clock::now();
  REQUIRE(wait_for(spawn(train_args(ref), root + "/ref.log")) == 0);
  const double ref_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();

  const char* k = std::getenv("GAN_CRASH_KILLS");
  const int kills_wanted = k ? std::max(1, std::atoi(k)) : 6;
  std::mt19937 rng(12345);
  int kills = 0, attempts = 0, runs_finished = 0, kills_in_write = 0;
  int64_t last_step = 0;
  std::string run = root + "/killed_0";
  while (kills < kills_wanted && attempts < 10 * kills_wanted) {
    ++attempts;
    const bool resume = fs::exists(run + "/checkpoints/latest.safetensors");
    auto args = train_args(run);
    if (resume) args.push_back("--resume");
    const std::string log = root + "/kill_" + std::to_string(attempts) + ".log";
    // Slow checkpoint writes (a sleep between the complete temp file and the rename) so that
    // many kills land inside a checkpoint write: gan_train with test hooks.
    args[0] = bin + "/gan_train_faults";
    pid_t pid = spawn(args, log, {{"GAN_TEST_SLOW_CHECKPOINT_WRITE", "40"}});
    std::uniform_real_distribution<double> delay(0.1 * ref_ms, 1.2 * ref_ms);
    std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(delay(rng)));
    ::kill(pid, SIGKILL);
    const int status = wait_for(pid);
    const std::string text = read_bytes(log);
    INFO(text);
    if (WIFSIGNALED(status)) ++kills;
    else REQUIRE((WIFEXITED(status) && WEXITSTATUS(status) == 0));
    // A resume started from the checkpoint that was complete before this process ran.
    if (resume && text.find("resumed from") != std::string::npos)
      CHECK(text.find("at step " + std::to_string(last_step) + "\n") != std::string::npos);
    if (WIFSIGNALED(status) && fs::exists(run + "/checkpoints"))
      for (auto& e : fs::directory_iterator(run + "/checkpoints"))  // a temp file: killed mid-write
        kills_in_write += e.path().filename().string().find(".tmp.") != std::string::npos;
    if (fs::exists(run)) require_all_checkpoints_load(run);
    if (fs::exists(run + "/checkpoints/latest.safetensors")) {
      const int64_t s = latest_step(run);
      CHECK(s >= last_step);  // never goes back
      last_step = s;
    }
    if (WIFEXITED(status)) {  // finished before the kill: check it, then start a fresh run
      require_same_as_reference(ref, run);
      ++runs_finished;
      run = root + "/killed_" + std::to_string(runs_finished);
      last_step = 0;
    }
  }
  CHECK(kills >= kills_wanted);
  auto args = train_args(run);
  if (fs::exists(run + "/checkpoints/latest.safetensors")) args.push_back("--resume");
  REQUIRE(wait_for(spawn(args, root + "/final.log")) == 0);
  require_all_checkpoints_load(run);
  require_same_as_reference(ref, run);
  WARN("survived " << kills << " SIGKILLs (" << kills_in_write
                   << " during a checkpoint write) in " << runs_finished + 1
                   << " killed-and-resumed runs (reference run " << static_cast<int>(ref_ms)
                   << " ms)");
}

TEST_CASE("crash safety: SIGINT and SIGTERM checkpoint and print the resume command", "[crash]") {
  make_data();
  const std::string out = root + "/signal";
  const std::string log = root + "/sigint.log";
  pid_t pid = spawn(train_args(out, "100000"), log);
  REQUIRE(wait_for_text(log, "step 2/", pid));
  ::kill(pid, SIGINT);
  int status = wait_for(pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 130);
  const std::string text = read_bytes(log);
  const int64_t step = latest_step(out);
  CHECK(step >= 2);
  CHECK_THAT(text, Catch::Contains("interrupted (SIGINT) at step " + std::to_string(step)));
  const size_t at = text.find("Resume with:\n  ");
  REQUIRE(at != std::string::npos);
  std::string cmd = text.substr(at + 15);
  cmd = cmd.substr(0, cmd.find('\n'));
  CHECK_THAT(cmd, Catch::EndsWith(" --resume"));

  // The printed command resumes; SIGTERM then stops it the same way.
  const std::string log2 = root + "/sigterm.log";
  pid = spawn({"/bin/sh", "-c", "exec " + cmd}, log2);
  REQUIRE(wait_for_text(log2, "step " + std::to_string(step + 2) + "/", pid));
  CHECK_THAT(read_bytes(log2), Catch::Contains("resumed from " + out +
                                              "/checkpoints/latest.safetensors at step " +
                                              std::to_string(step)));
  ::kill(pid, SIGTERM);
  status = wait_for(pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 143);
  CHECK(latest_step(out) >= step + 2);
  CHECK_THAT(read_bytes(log2), Catch::Contains("terminated (SIGTERM)"));
}

TEST_CASE("crash safety: a full disk gives a clear error and keeps the previous checkpoint", "[crash]") {
  make_data();
  // Size of one checkpoint of this model, from a one-step run.
  const std::string probe = root + "/probe";
  REQUIRE(wait_for(spawn(train_args(probe, "1"), root + "/probe.log")) == 0);
  const auto ckpt_bytes = fs::file_size(probe + "/checkpoints/latest.safetensors");
  // Room for config.json and two checkpoints, not three.
  const std::string out = root + "/full";
  const std::string log = root + "/full.log";
  std::vector<std::string> args = train_args(out);
  args[0] = bin + "/gan_train_faults";  // gan_train with test hooks (tests/tools/gan_train_faults.cpp)
  const int status = wait_for(
      spawn(args, log, {{"GAN_FAULT_ENOSPC_AFTER_BYTES", std::to_string(ckpt_bytes * 5 / 2)}}));
  INFO(read_bytes(log));
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 2);
  CHECK_THAT(read_bytes(log), Catch::Contains("gan_train: error: " + out +
                                             "/checkpoints/latest.safetensors: No space left on device"));
  CHECK(latest_step(out) == 2);
  require_all_checkpoints_load(out);
  for (auto& e : fs::directory_iterator(out + "/checkpoints"))
    CHECK(e.path().filename().string().find(".tmp.") == std::string::npos);
}

TEST_CASE("crash safety: a NaN exits with code 3 naming the step and the loss term", "[crash]") {
  make_data();
  const std::string out = root + "/nan";
  const std::string log = root + "/nan.log";
  std::vector<std::string> args = train_args(out);
  args[0] = bin + "/gan_train_faults";  // gan_train with test hooks (tests/tools/gan_train_faults.cpp)
  const int status = wait_for(spawn(args, log, {{"GAN_FAULT_NAN_AT_STEP", "4"}}));
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 3);
  CHECK_THAT(read_bytes(log), Catch::Contains("gan_train: error: step 4: loss term ") &&
                                 Catch::Contains(" is NaN"));
  CHECK(latest_step(out) == 3);
}
