// The pieces of data-parallel training that need no second process (docs/distributed.md): the
// loader's shards, dropout masks of a rank's share, gradient buckets, per-rank checkpoint state,
// and reading the launcher's environment. tests/tools/test_distributed.cpp runs whole jobs.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>

#include "core/ops.h"
#include "tests/train/temp_dir.h"
#include "tests/train/tiny_model.h"
#include "train/checkpoint.h"
#include "train/data/dataset.h"
#include "train/dist/communicator.h"
#include "train/dist/gradient_averager.h"
#include "train/dist/launch_env.h"
#include "train/dist/rank_state.h"
#include "train/io/image_io.h"

using namespace gan;
using namespace gan::train;
namespace fs = std::filesystem;

namespace {

void make_images(const std::string& dir, int n, int salt) {
  fs::create_directories(dir);
  for (int i = 0; i < n; ++i) {
    io::Image img;
    img.width = img.height = 20;
    img.pixels.resize(400);
    for (int p = 0; p < 400; ++p) img.pixels[p] = float((p * (i + salt)) % 37) / 36.f;
    io::save_png(dir + "/" + std::to_string(i) + ".png", img);
  }
}

std::vector<float> sample(const Tensor& batch, int64_t k) { return batch.slice_batch(k, 1).to_vector<float>(); }

// Pretends to be rank 0 of `size` ranks whose gradients are all equal to this one's times
// `others`: average() turns x into (x + (size - 1) * others * x) / size, and counts its calls.
class FakeRanks : public dist::Communicator {
 public:
  FakeRanks(int size, float others) : Communicator(env(size)), others_(others) {}
  const char* name() const override { return "fake"; }
  void average(float* data, size_t n, Device) override {
    ++calls;
    largest = std::max(largest, n);
    for (size_t i = 0; i < n; ++i) data[i] = (data[i] + (size() - 1) * others_ * data[i]) / size();
  }
  void sum(std::vector<double>&) override {}
  void max(std::vector<double>&) override {}
  std::vector<uint64_t> allgather(uint64_t v) override { return std::vector<uint64_t>(size(), v); }
  std::vector<std::string> gather_to_root(const std::string& b) override { return {b}; }
  void barrier() override {}
  [[noreturn]] void abort(int code) override { std::exit(code); }
  int calls = 0;
  size_t largest = 0;

 private:
  static dist::LaunchEnv env(int size) {
    dist::LaunchEnv e;
    e.size = size;
    return e;
  }
  float others_;
};

}  // namespace

TEST_CASE("data parallel: the ranks' shares of a step are the single-process batch, crops included",
          "[train][dist]") {
  testing::TempDir dir;
  make_images(dir.file("A"), 5, 3);
  make_images(dir.file("B"), 7, 5);
  ImageTransform t;
  t.load_size = 20;
  t.crop_size = 16;
  const UnpairedLoader::State start{42, 0, 0};
  UnpairedLoader one(dir.file("A"), dir.file("B"), t, start, 4);
  UnpairedLoader::Shard s0{0, 2}, s1{1, 2};
  auto a = std::make_shared<DomainData>(dir.file("A"), DomainOptions{});
  auto b = std::make_shared<DomainData>(dir.file("B"), DomainOptions{});
  UnpairedLoader r0(a, b, t, start, 2, 1, s0), r1(a, b, t, start, 2, 1, s1);
  // 7 samples in the longer domain, a global batch of 4: one step per epoch either way.
  CHECK(one.steps_per_epoch() == 1);
  CHECK(r0.steps_per_epoch() == 1);
  for (int64_t epoch = 0; epoch < 3; ++epoch) {
    const UnpairedLoader::State pos{42, epoch, 0};
    UnpairedLoader::Batch g = one.make_batch(pos), x = r0.make_batch(pos), y = r1.make_batch(pos);
    for (int64_t k = 0; k < 2; ++k) {
      INFO("epoch " << epoch << " sample " << k);
      CHECK(sample(x.a, k) == sample(g.a, k));
      CHECK(sample(x.b, k) == sample(g.b, k));
      CHECK(sample(y.a, k) == sample(g.a, 2 + k));
      CHECK(sample(y.b, k) == sample(g.b, 2 + k));
    }
  }
  CHECK_THROWS_AS(UnpairedLoader(a, b, t, start, 2, 1, UnpairedLoader::Shard{2, 2}),
                  std::invalid_argument);
}

TEST_CASE("data parallel: dropout of a rank's share draws the global batch's masks", "[train][dist]") {
  // The generator input [a; b] of a global batch of 2 per domain: samples a0 a1 b0 b1. Rank r of
  // 2 holds [a_r; b_r]: two segments of one sample.
  Rng init(7);
  Tensor global = Tensor::uniform({4, 3, 5, 5}, init, 0.5, 1.5);
  Rng g_one(99);
  Tensor want = ops::dropout(global, 0.5, true, g_one);
  for (int64_t rank = 0; rank < 2; ++rank) {
    Tensor share = ops::concat({global.slice_batch(rank, 1), global.slice_batch(2 + rank, 1)}, 0);
    Rng g(99);
    Tensor got;
    {
      ops::DropoutShardGuard guard(ops::DropoutShard{rank, 2, 1});
      got = ops::dropout(share, 0.5, true, g);
    }
    INFO("rank " << rank);
    CHECK(sample(got, 0) == sample(want, rank));
    CHECK(sample(got, 1) == sample(want, 2 + rank));
    CHECK(g.stream() == g_one.stream());  // the same stream sequence on every rank
  }
  ops::DropoutShardGuard odd(ops::DropoutShard{0, 2, 3});
  Rng g(1);
  CHECK_THROWS_AS(ops::dropout(global, 0.5, true, g), std::invalid_argument);
}

TEST_CASE("data parallel: gradients averaged in buckets, a tensor split across two",
          "[train][dist]") {
  std::vector<Tensor> params = {Tensor::zeros({10}), Tensor::zeros({7}), Tensor::zeros({2, 3})};
  for (size_t i = 0; i < params.size(); ++i) {
    std::vector<float> g(static_cast<size_t>(params[i].numel()));
    for (size_t k = 0; k < g.size(); ++k) g[k] = float(i * 100 + k + 1);
    params[i].set_requires_grad(true);
    params[i].set_grad(Tensor::from_vector(g, params[i].shape()));
  }
  params[1].zero_grad();  // no gradient: averaged as zeros, and stays without one
  FakeRanks comm(2, 3.0f);  // the other rank's gradient is 3x this one's: the mean is 2x
  dist::GradientAverager avg(params, comm, 8 * sizeof(float));  // 23 floats in buckets of 8
  CHECK(avg.bucket_count() == 3);
  CHECK(avg.bytes_per_call() == 23 * sizeof(float));
  avg.average();
  CHECK(comm.calls == 3);
  CHECK(comm.largest == 8);
  CHECK_FALSE(params[1].grad().defined());
  for (size_t i : {size_t(0), size_t(2)}) {
    std::vector<float> g = params[i].grad().to_vector<float>();
    for (size_t k = 0; k < g.size(); ++k) CHECK(g[k] == 2.0f * float(i * 100 + k + 1));
  }
}

TEST_CASE("data parallel: per-rank pools and generators in the checkpoint, another rank count "
          "refused", "[train][dist]") {
  testing::TempDir dir;
  models::CycleGAN nets(testing::tiny_model(), 1);
  CycleGANStep step(nets, StepOptions{}, nn::AdamOptions{}, 3, 5);
  Rng g(4);
  step.pool_A().query(Tensor::uniform({2, 1, 32, 32}, g, -1, 1), step.pool_rng());
  dist::RankState other;
  other.pool_b = Tensor::uniform({3, 1, 32, 32}, g, -1, 1);
  other.pool_seed = 11;
  other.pool_stream = 12;
  other.dropout_seed = 13;
  other.dropout_stream = 14;
  // Through the bytes rank 1 sends to rank 0.
  dist::RankState received = dist::rank_state_from_bytes(dist::to_bytes(other));
  CHECK_FALSE(received.pool_a.defined());
  REQUIRE(received.pool_b.shape() == other.pool_b.shape());
  CHECK(received.pool_b.to_vector<float>() == other.pool_b.to_vector<float>());
  const std::string path = dir.file("c.safetensors");
  TrainConfig config;
  save_training_checkpoint(path, config, nets, step, {3, {0, 0, 0}}, {received});

  models::CycleGAN nets1(testing::tiny_model(), 2);
  CycleGANStep step1(nets1, StepOptions{}, nn::AdamOptions{}, 3, 6);
  load_training_checkpoint(path, nets1, step1, 1, 2);
  CHECK(step1.pool_A().size() == 0);
  CHECK(step1.pool_B().size() == 3);
  CHECK(step1.pool_rng().seed() == 11);
  CHECK(step1.pool_rng().stream() == 12);
  CHECK(nets1.dropout_rng->seed() == 13);
  CHECK(nets1.dropout_rng->stream() == 14);
  models::CycleGAN nets0(testing::tiny_model(), 2);
  CycleGANStep step0(nets0, StepOptions{}, nn::AdamOptions{}, 3, 6);
  load_training_checkpoint(path, nets0, step0, 0, 2);
  CHECK(step0.pool_A().size() == 2);
  CHECK(step0.pool_rng().seed() == 5);
  CHECK_THROWS_WITH(load_training_checkpoint(path, nets0, step0, 0, 1),
                    Catch::Contains("written by a run of 2 rank(s), this run has 1: resume with "
                                    "the same number of ranks"));
}

TEST_CASE("data parallel: the launcher's environment", "[train][dist]") {
  const char* vars[] = {"OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_LOCAL_RANK",
                        "OMPI_COMM_WORLD_LOCAL_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK",
                        "SLURM_STEP_ID", "SLURM_PROCID", "SLURM_NTASKS", "SLURM_STEP_NUM_TASKS",
                        "SLURM_LOCALID", "SLURM_STEP_TASKS_PER_NODE", "SLURM_TASKS_PER_NODE"};
  std::vector<std::pair<std::string, std::string>> saved;
  for (const char* v : vars)
    if (const char* x = std::getenv(v)) saved.emplace_back(v, x);
  for (const char* v : vars) ::unsetenv(v);

  CHECK_FALSE(dist::read_launch_env().launched());  // a plain gan_train: no MPI_Init
  ::setenv("SLURM_NTASKS", "4", 1);  // the batch script's own shell: still no launch
  CHECK_FALSE(dist::read_launch_env().launched());
  ::setenv("SLURM_STEP_ID", "0", 1);
  ::setenv("SLURM_PROCID", "5", 1);
  ::setenv("SLURM_STEP_NUM_TASKS", "8", 1);
  ::setenv("SLURM_LOCALID", "1", 1);
  ::setenv("SLURM_STEP_TASKS_PER_NODE", "4(x2)", 1);
  dist::LaunchEnv s = dist::read_launch_env();
  CHECK(s.launcher == "Slurm");
  CHECK(s.rank == 5);
  CHECK(s.size == 8);
  CHECK(s.local_rank == 1);
  CHECK(s.local_size == 4);
  ::setenv("OMPI_COMM_WORLD_SIZE", "2", 1);
  ::setenv("OMPI_COMM_WORLD_RANK", "1", 1);
  dist::LaunchEnv o = dist::read_launch_env();
  CHECK(o.launcher == "Open MPI");
  CHECK(o.rank == 1);
  CHECK(o.size == 2);

  for (const char* v : vars) ::unsetenv(v);
  for (auto& [k, v] : saved) ::setenv(k.c_str(), v.c_str(), 1);
}
