// Data-parallel gan_train under mpirun (docs/distributed.md):
//   - equivalence: 2 ranks x batch 1 for 5 steps end with the parameters of 1 process x batch 2
//     (relative error <= 1e-5 per tensor) and log the same losses; cpu with both generators, and
//     the cuda device (the emulator in CI; on a real GPU one rank, the NCCL path);
//   - failure: SIGKILL of one rank ends the job within 10 s naming the rank, a resume with the
//     same ranks ends exactly where an uninterrupted run does, and another number of ranks is
//     refused; a bad file read by one rank ends the job with that rank's error.
// Skipped (with a message) when the build has no MPI. As root, mpirun needs --allow-run-as-root.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/ops/op_harness.h"
#include "tests/tools/spawn.h"
#include "tests/train/temp_dir.h"
#include "train/io/image_io.h"
#include "train/io/safetensors.h"

using namespace gan;
namespace fs = std::filesystem;
using gan::testing::read_bytes;
using gan::testing::TempDir;
using Clock = std::chrono::steady_clock;

namespace {

const std::string bin = GAN_BIN_DIR;

bool mpi_built() {
  if (GAN_HAS_MPI) return true;
  WARN("skipped: this build has no MPI (install libopenmpi-dev: tools/setup.sh, then reconfigure)");
  return false;
}

// 4 images per domain: with a global batch of 2, 2 steps per epoch.
std::string make_data(const TempDir& dir) {
  const std::string root = dir.file("data");
  for (const char* d : {"A", "B"}) fs::create_directories(root + "/" + d);
  for (int i = 0; i < 4; ++i) {
    io::Image img;
    img.width = img.height = 36;
    img.pixels.resize(36 * 36);
    for (int p = 0; p < 36 * 36; ++p) img.pixels[p] = float((p * (i + 3)) % 97) / 96.f;
    io::save_png(root + "/A/" + std::to_string(i) + ".png", img);
    for (float& v : img.pixels) v = 1.f - v * v;
    io::save_png(root + "/B/" + std::to_string(i) + ".png", img);
  }
  return root;
}

std::vector<std::string> train_args(const std::string& data, const std::string& out,
                                    const std::string& gen, int batch, int epochs = 2) {
  return {bin + "/gan_train", "--data-a", data + "/A", "--data-b", data + "/B", "--out", out,
          "--gen", gen, "--size", "32", "--load-size", "36", "--ngf", "4", "--ndf", "4",
          "--epochs", std::to_string(epochs), "--decay-epochs", "1", "--batch", std::to_string(batch),
          "--sample-every", "0", "--num-samples", "1", "--log-every", "1", "--threads", "1"};
}

// mpirun -np n in front of argv: --oversubscribe (2 ranks on fewer cores), --allow-run-as-root
// when root (CI containers).
std::vector<std::string> mpirun(int n, std::vector<std::string> argv) {
  std::vector<std::string> a = {"mpirun", "--oversubscribe", "-np", std::to_string(n)};
  if (::geteuid() == 0) a.push_back("--allow-run-as-root");
  a.insert(a.end(), argv.begin(), argv.end());
  return a;
}

std::vector<std::string> operator+(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// gan::testing::spawn, with one addition for mpirun: under AddressSanitizer (tools/sanitize.sh)
// the ranks run without LeakSanitizer: Open MPI keeps allocations of its dlopen'ed components past
// MPI_Finalize, reported as leaks in unknown modules that no suppression can name. The
// single-process runs of these tests (the same training code) keep leak checking on.
pid_t spawn(const std::vector<std::string>& argv, const std::string& log_path,
            std::vector<std::pair<std::string, std::string>> env = {}) {
  if (argv[0] == "mpirun") {
    const char* asan = std::getenv("ASAN_OPTIONS");
    env.push_back({"ASAN_OPTIONS", std::string(asan ? asan : "") + ":detect_leaks=0"});
  }
  return gan::testing::spawn(argv, log_path, env);
}

// Exit code of the process, or -1 if it ran past timeout_s (then its group is killed).
int wait_exit(pid_t pid, double timeout_s) {
  const auto t0 = Clock::now();
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::duration<double>(Clock::now() - t0).count() > timeout_s) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int run(const std::vector<std::string>& argv, const std::string& log_path, double timeout_s = 300) {
  return wait_exit(spawn(argv, log_path), timeout_s);
}

// max |a - b| / max(max |b|, 0.01): relative to the tensor's magnitude, floored at half the
// weights' init std (0.02), so a bias that started at zero and moved a few lr steps is not
// measured against its own tiny value.
double relative_error(const Tensor& a, const Tensor& b) {
  auto x = a.to_vector<double>(), y = b.to_vector<double>();
  double d = 0, n = 0;
  for (size_t i = 0; i < x.size(); ++i) d = std::max(d, std::abs(x[i] - y[i])), n = std::max(n, std::abs(y[i]));
  return d / std::max(n, 0.01);
}

double max_abs_difference(const Tensor& a, const Tensor& b) {
  auto x = a.to_vector<double>(), y = b.to_vector<double>();
  double d = 0;
  for (size_t i = 0; i < x.size(); ++i) d = std::max(d, std::abs(x[i] - y[i]));
  return d;
}

// A conv bias that feeds an InstanceNorm: every bias with more than one element (the generators'
// and discriminators' last convs have one output channel) except the discriminators' first conv
// (".0.bias", followed by LeakyReLU). The norm removes any per-channel constant, so its gradient
// is zero up to rounding, and Adam (which divides by the gradient's own size) moves it by up to
// lr per step with a sign that rounding decides: two runs that sum in another order (so do one
// process with 1 and with 2 threads) end anywhere within 2 * steps * lr of each other, while the
// network's outputs do not depend on it at all.
bool feeds_instance_norm(const std::string& name, const Tensor& t) {
  const bool bias = name.size() > 5 && name.compare(name.size() - 5, 5, ".bias") == 0;
  const bool first_d = name.rfind("D_", 0) == 0 && name.find(".0.bias") != std::string::npos;
  return bias && t.numel() > 1 && !first_d;
}

// The network parameters (G_AB., G_BA., D_A., D_B.) of two checkpoints after `steps` steps of
// lr 2e-4: same names, the biases feeding an InstanceNorm within Adam's bound, and the rest
// either (split_fraction 0) each tensor within max_error (relative_error), or (split_fraction > 0,
// for a network that amplifies rounding) all of them together within max_error in the L2 sense,
// with at most split_fraction of their elements more than lr/2 apart. Adam moves every element
// by about lr per step whatever its gradient's size, so an element whose gradient is zero up to
// rounding goes +lr in one run and -lr in the other when the two sum in another order: a few
// such elements are rounding, most elements apart is a wiring error (a rank's gradient missing
// splits 84% of them in the ResNet case below, rounding 1%).
void require_same_parameters(const std::string& a_path, const std::string& b_path,
                             double max_error, int steps, double split_fraction = 0) {
  constexpr double lr = 2e-4;  // gan_train's default, which these runs use
  io::SafetensorsFile a = io::load_safetensors(a_path), b = io::load_safetensors(b_path);
  size_t compared = 0, elements = 0, split = 0;
  double diff_sq = 0, norm_sq = 0;
  std::string beyond;
  for (const auto& [name, t] : a.tensors) {
    if (name.rfind("G_", 0) != 0 && name.rfind("D_", 0) != 0) continue;
    INFO(name);
    const Tensor* u = b.find(name);
    REQUIRE(u);
    REQUIRE(u->shape() == t.shape());
    if (max_error > 0 && feeds_instance_norm(name, t)) {
      const double d = max_abs_difference(t, *u);
      if (d > 2 * steps * lr * 1.001) beyond += " " + name + " (moved " + std::to_string(d) + ")";
      continue;
    }
    ++compared;
    if (split_fraction > 0) {
      const auto x = t.to_vector<double>(), y = u->to_vector<double>();
      for (size_t i = 0; i < x.size(); ++i) {
        diff_sq += (x[i] - y[i]) * (x[i] - y[i]);
        norm_sq += y[i] * y[i];
        split += std::abs(x[i] - y[i]) > lr / 2;
      }
      elements += x.size();
      continue;
    }
    const double err = relative_error(t, *u);
    if (err > max_error) beyond += " " + name + " (" + std::to_string(err) + ")";
  }
  INFO("tensors beyond a relative error of " << max_error << ":" << beyond);
  CHECK(beyond.empty());
  CHECK(compared > 10);
  if (split_fraction > 0) {
    INFO(split << " of " << elements << " elements more than lr/2 apart");
    CHECK(std::sqrt(diff_sq / norm_sq) <= max_error);
    CHECK(double(split) <= split_fraction * double(elements));
  }
}

std::vector<std::vector<double>> csv_rows(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header
  std::vector<std::vector<double>> rows;
  while (std::getline(in, line)) {
    std::vector<double> row;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) row.push_back(std::stod(cell));
    rows.push_back(row);
  }
  return rows;
}

// Columns step, epoch and the 9 loss terms of losses.csv agree within `relative` (2e-5: the 6
// digits logged).
void require_same_losses(const std::string& a_path, const std::string& b_path, size_t steps,
                         double relative) {
  auto a = csv_rows(a_path), b = csv_rows(b_path);
  REQUIRE(a.size() == steps);
  REQUIRE(b.size() == steps);
  for (size_t r = 0; r < steps; ++r)
    for (size_t c = 0; c < 11; ++c) {
      INFO("losses.csv row " << r + 1 << " column " << c);
      CHECK(a[r][c] == Approx(b[r][c]).epsilon(relative).margin(1e-6));
    }
}

// `ranks` ranks x batch 2/ranks against 1 process x batch 2, 5 steps, pool off, with the
// structure term `structure` (gan_train's --structure-loss); parameters as require_same_parameters
// checks them with max_error and split_fraction, losses.csv the same (within 1e-2 where elements
// may split, else 1e-3 or, at max_error 1e-5, 2e-5).
void check_equivalence(const std::string& gen, const std::string& device, int ranks,
                       double max_error, const std::string& structure = "none",
                       double split_fraction = 0) {
  TempDir dir;
  const std::string data = make_data(dir);
  const std::vector<std::string> common = {"--steps", "5", "--pool", "0", "--device", device,
                                           "--structure-loss", structure};
  const int per_rank = 2 / ranks;
  REQUIRE(run(train_args(data, dir.file("one"), gen, 2) + common, dir.file("one.log")) == 0);
  const int rc = run(mpirun(ranks, train_args(data, dir.file("mpi"), gen, per_rank) + common),
                     dir.file("mpi.log"));
  INFO(read_bytes(dir.file("mpi.log")));
  REQUIRE(rc == 0);
  CHECK(read_bytes(dir.file("mpi.log")).find("effective batch 2") != std::string::npos);
  require_same_parameters(dir.file("mpi/checkpoints/latest.safetensors"),
                          dir.file("one/checkpoints/latest.safetensors"), max_error, 5,
                          split_fraction);
  require_same_losses(dir.file("mpi/losses.csv"), dir.file("one/losses.csv"), 5,
                      split_fraction > 0 ? 1e-2 : max_error > 1e-5 ? 1e-3 : 2e-5);
}

// The pid of rank `rank` among mpirun's children (Open MPI starts local ranks directly).
pid_t find_rank_pid(pid_t mpirun_pid, int rank) {
  const std::string want = "OMPI_COMM_WORLD_RANK=" + std::to_string(rank);
  for (auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string stat = read_bytes(e.path().string() + "/stat");
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 2));
    char state;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid != mpirun_pid) continue;
    std::string env = read_bytes(e.path().string() + "/environ");
    for (size_t at = 0; at < env.size();) {
      size_t end = env.find('\0', at);
      if (end == std::string::npos) end = env.size();
      if (env.compare(at, end - at, want) == 0) return std::stoi(name);
      at = end + 1;
    }
  }
  return -1;
}

// The lines of text that contain needle.
std::string lines_with(const std::string& text, const std::string& needle) {
  std::istringstream in(text);
  std::string line, out;
  while (std::getline(in, line))
    if (line.find(needle) != std::string::npos) out += line + "\n";
  return out;
}

// Waits until the file holds `text` (false after timeout_s).
bool wait_for_text(const std::string& path, const std::string& text, double timeout_s) {
  const auto t0 = Clock::now();
  while (std::chrono::duration<double>(Clock::now() - t0).count() < timeout_s) {
    if (read_bytes(path).find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace

TEST_CASE("distributed: 2 ranks x batch 1 equal 1 process x batch 2 (cpu, unet and resnet)",
          "[mpi]") {
  if (!mpi_built()) return;
  // The U-Net, dropout included (its masks are the single-process batch's), to float rounding.
  // Without the default NGF structure term: NGF divides by the gradient magnitudes of 32 px
  // images, and Adam turns the rounding of its near-zero gradients into +-lr steps (1e-3 to 6e-3
  // apart after 5 steps with clang, 4e-5 with gcc). The structure terms' averaging over ranks is
  // checked with a twin-rank communicator (tests/train/test_trainer.cpp).
  SECTION("unet") { check_equivalence("unet", "cpu", 2, 1e-5); }
  // The ResNet amplifies rounding: its weights are compared as a whole (L2 within 5e-3; rounding
  // gives 2e-3, a rank's gradient missing 3e-2) with at most 5% of the elements split by Adam
  // (rounding: 1%; a missing gradient: 84%), and its losses within 1e-2 (a missing gradient: 12%).
  SECTION("resnet") { check_equivalence("resnet", "cpu", 2, 5e-3, "none", 0.05); }
}

TEST_CASE("distributed: ranks equal one process on the cuda device", "[mpi][cuda]") {
  test::require_cuda_device_or_skip();
  if (!mpi_built()) return;
  // The emulator: 2 ranks reduce its (host) buffers with MPI. A real GPU: one rank, so the
  // NCCL path runs on the one GPU a test machine has (two ranks on one GPU are refused by NCCL).
  check_equivalence("unet", "cuda", GAN_CUDA_EMULATED ? 2 : 1, 1e-5);
}

TEST_CASE("distributed: SIGKILL of one rank ends the job within 10 s, and resume continues exactly",
          "[mpi][kill]") {
  if (!mpi_built()) return;
  TempDir dir;
  const std::string data = make_data(dir);
  // 200 steps (100 epochs) of 2 ranks x batch 1, a few seconds; latest after every step, the
  // image pools on (per rank).
  const int steps = 200;
  auto args = [&](const std::string& out) {
    return mpirun(2, train_args(data, out, "unet", 1, steps / 2 - 1) +
                         std::vector<std::string>{"--pool", "2", "--save-every-steps", "1"});
  };
  REQUIRE(run(args(dir.file("ref")), dir.file("ref.log")) == 0);

  const std::string log = dir.file("killed.log");
  pid_t job = spawn(args(dir.file("run")), log);
  REQUIRE(wait_for_text(log, "step 3/", 120));
  const pid_t victim = find_rank_pid(job, 1);
  REQUIRE(victim > 0);
  const auto t0 = Clock::now();
  ::kill(victim, SIGKILL);
  const int rc = wait_exit(job, 30);
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  INFO(read_bytes(log));
  CHECK(rc != 0);
  CHECK(rc != -1);
  CHECK(seconds < 10);
  CHECK(read_bytes(log).find("rank 1") != std::string::npos);
  WARN("mpirun: " << lines_with(read_bytes(log), "rank 1"));
  io::SafetensorsFile at_kill;
  REQUIRE_NOTHROW(at_kill = io::load_safetensors(dir.file("run/checkpoints/latest.safetensors")));
  CHECK(std::stoi(at_kill.metadata.at("global_step")) < steps);  // killed mid-training
  WARN("SIGKILL of rank 1 at step " << at_kill.metadata.at("global_step") << ": job ended after "
                                    << seconds << " s");

  // Another number of ranks is refused in one line; the same number continues exactly.
  std::vector<std::string> single = train_args(data, dir.file("run"), "unet", 1, steps / 2 - 1) +
                                    std::vector<std::string>{"--resume"};
  CHECK(run(single, dir.file("single.log")) == 2);
  CHECK(read_bytes(dir.file("single.log")).find("resume with the same number of ranks") !=
        std::string::npos);
  std::vector<std::string> resume = args(dir.file("run")) + std::vector<std::string>{"--resume"};
  REQUIRE(run(resume, dir.file("resumed.log")) == 0);
  INFO(read_bytes(dir.file("resumed.log")));
  require_same_parameters(dir.file("run/checkpoints/latest.safetensors"),
                          dir.file("ref/checkpoints/latest.safetensors"), 0.0, steps);
  // Pools and moments too: the per-rank state was restored exactly.
  io::SafetensorsFile a = io::load_safetensors(dir.file("run/checkpoints/latest.safetensors"));
  io::SafetensorsFile b = io::load_safetensors(dir.file("ref/checkpoints/latest.safetensors"));
  REQUIRE(a.find("pool.A.rank1"));
  for (const auto& [name, t] : b.tensors) {
    INFO(name);
    REQUIRE(a.find(name));
    CHECK(relative_error(*a.find(name), t) == 0.0);
  }
  CHECK(a.metadata.at("pool_rng.rank1") == b.metadata.at("pool_rng.rank1"));
}

TEST_CASE("distributed: a bad file read by one rank ends the job with that rank's error",
          "[mpi][kill]") {
  if (!mpi_built()) return;
  TempDir dir;
  const std::string data = make_data(dir);
  // A PNG whose header is intact (the folder scan accepts it) and whose pixels are cut off. The
  // first epoch reads every file once, each by one rank; 1.png is not the sample-grid image
  // (rank 0 loads the middle file, 2.png, at start), so it fails inside training, on one rank.
  const std::string bad = data + "/B/1.png";
  gan::testing::write_bytes(bad, read_bytes(bad).substr(0, 40));
  const std::string log = dir.file("bad.log");
  const auto t0 = Clock::now();
  const int rc = run(mpirun(2, train_args(data, dir.file("run"), "unet", 1) +
                                   std::vector<std::string>{"--steps", "8", "--pool", "0"}),
                     log, 60);
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  INFO(read_bytes(log));
  CHECK(rc != 0);
  CHECK(rc != -1);
  CHECK(seconds < 30);
  CHECK(read_bytes(log).find("gan_train: rank ") != std::string::npos);
  CHECK(read_bytes(log).find("1.png") != std::string::npos);
  WARN(lines_with(read_bytes(log), "gan_train: rank") << "job ended after " << seconds << " s");
}

// The same command with the test-only gan_train that takes fault switches (gan_train_faults.cpp).
std::vector<std::string> faulty(std::vector<std::string> args) {
  args[0] = bin + "/gan_train_faults";
  return args;
}

TEST_CASE("distributed: ranks whose parameters differ stop at the next checkpoint, unwritten",
          "[mpi]") {
  if (!mpi_built()) return;
  TempDir dir;
  const std::string data = make_data(dir);
  const std::string log = dir.file("diverged.log");
  const int rc = wait_exit(
      spawn(mpirun(2, faulty(train_args(data, dir.file("run"), "unet", 1)) +
                          std::vector<std::string>{"--steps", "4", "--save-every-steps", "1"}),
            log, {{"GAN_FAULT_DIVERGE_RANK", "1"}}),
      120);
  INFO(read_bytes(log));
  CHECK(rc != 0);
  CHECK(rc != -1);
  CHECK(read_bytes(log).find("step 1: the parameters of rank 1 differ from rank 0's") !=
        std::string::npos);
  CHECK_FALSE(fs::exists(dir.file("run/checkpoints/latest.safetensors")));
  WARN(lines_with(read_bytes(log), "differ"));
}
