// Seconds per CycleGAN training step, end to end: the four networks of models::CycleGAN and one
// train::CycleGANStep (single forward, no image pool, BCE adversarial loss) on random batches in
// [-1, 1]. Prints the same summary as the PyTorch yardstick it is compared with (docs/performance.md):
//   bench_step --gen unet --size 128 --ngf 32 --ndf 32 --steps 5 --threads 2
// Phases come from CycleGANStep's own timing (set_timing); GAN_PROFILE=1 adds a per-op table.
// --ceiling measures the Eigen GEMM ceiling in the same run, to state the step as a fraction of it.
// --forward-only times inference instead: G_AB in eval mode, no graph, a batch per forward, as
// gan_infer runs it; it prints images/s.
// Conv FLOPs per step = 18 * (one generator forward) + 14 * (one discriminator forward): a step runs
// 6 generator and 4 discriminator forwards; backward costs two conv passes per forward (data and
// weight gradients), except the discriminators' data gradient on real inputs, which is not needed.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/device.h"
#include "core/profile.h"
#include "core/rng.h"
#include "core/threads.h"
#include "models/cyclegan.h"
#include "models/resnet_generator.h"
#include "train/cyclegan_step.h"

namespace {

using namespace gan;
using Clock = std::chrono::steady_clock;

// ---- forward conv FLOPs, from the architectures of models/ (2 * Cin * Cout * k * k per output
// position of the convolution side; for a transposed convolution that side is its input) -------
int conv_out(int h, int k, int s, int p) { return (h + 2 * p - k) / s + 1; }
double conv_flops(double c_in, double c_out, int k, double side) {
  return 2.0 * c_in * c_out * k * k * side * side;
}

double unet_flops(const models::ModelConfig& c) {
  int depth = 0;
  while ((1 << depth) < c.size) ++depth;
  std::vector<int> widths;
  for (int i = 0; i < depth; ++i) widths.push_back(std::min(c.ngf << i, c.ngf * 8));
  double f = 0;
  int c_in = c.channels, side = c.size;
  for (int w : widths) {  // 4x4 stride-2 convolutions down to 1x1
    side /= 2;
    f += conv_flops(c_in, w, 4, side);
    c_in = w;
  }
  for (int j = depth - 2; j >= 0; --j) {  // transposed convolutions up; the skip doubles the input
    f += conv_flops(c_in, widths[j], 4, side);
    side *= 2;
    c_in = 2 * widths[j];
  }
  return f + conv_flops(c_in, c.channels, 4, side);  // last: to the image side
}

double resnet_flops(const models::ModelConfig& c) {
  const int blocks = models::ResNetGenerator::blocks_for_size(c.size), g = c.ngf, s = c.size;
  double f = conv_flops(c.channels, g, 7, s);                     // 7x7 on the reflection-padded input
  f += conv_flops(g, 2 * g, 3, s / 2) + conv_flops(2 * g, 4 * g, 3, s / 4);  // stride-2 downs
  f += blocks * 2 * conv_flops(4 * g, 4 * g, 3, s / 4);           // residual blocks
  f += conv_flops(4 * g, 2 * g, 3, s / 4) + conv_flops(2 * g, g, 3, s / 2);  // transposed ups
  return f + conv_flops(g, c.channels, 7, s);
}

double patchgan_flops(const models::ModelConfig& c) {
  const int d = c.ndf;
  const int cin[5] = {c.channels, d, 2 * d, 4 * d, 8 * d}, cout[5] = {d, 2 * d, 4 * d, 8 * d, 1};
  const int stride[5] = {2, 2, 2, 1, 1};
  double f = 0;
  int side = c.size;
  for (int i = 0; i < 5; ++i) {
    side = conv_out(side, 4, stride[i], 1);
    f += conv_flops(cin[i], cout[i], 4, side);
  }
  return f;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_maxrss) / 1024.0;  // Linux: KiB
}

struct Timer {
  bool cuda;
  Clock::time_point t0;
  explicit Timer(bool cuda) : cuda(cuda) { restart(); }
  void restart() {
    if (cuda) device::synchronize();
    t0 = Clock::now();
  }
  double seconds() {  // since the last restart, then restarts
    if (cuda) device::synchronize();
    const auto t1 = Clock::now();
    const double s = std::chrono::duration<double>(t1 - t0).count();
    t0 = t1;
    return s;
  }
};

// The machine's float32 GEMM ceiling: the best of `reps` Eigen products of two n x n matrices,
// split over all `threads` as the kernels split theirs (the same as bench_conv_cpu's eigen_gemm_f32).
double gemm_ceiling_gflops(int n, int reps) {
  Eigen::MatrixXf A = Eigen::MatrixXf::Random(n, n), B = Eigen::MatrixXf::Random(n, n), C(n, n);
  double best = 1e30;
  const int threads = num_threads();
  for (int r = 0; r < reps; ++r) {
    const auto t0 = Clock::now();
    // Single-threaded Eigen products (EIGEN_DONT_PARALLELIZE), one share of B's columns each.
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int t = 0; t < threads; ++t) {
      const int j0 = n * t / threads, j1 = n * (t + 1) / threads;
      C.middleCols(j0, j1 - j0).noalias() = A * B.middleCols(j0, j1 - j0);
    }
    best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
  }
  if (C(0, 0) == 12345.f) std::printf(" ");  // keep the product
  return 2.0 * n * n * double(n) / best / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Seconds per CycleGAN training step (single forward, no image pool, BCE)"};
  models::ModelConfig config;
  int batch = 1, steps = 5, threads = 2;
  std::string device_name = "cpu", conv_math = "fp32";
  bool phases = true, ceiling = false;
  app.add_option("--gen", config.gen, "generator: unet or resnet")
      ->check(CLI::IsMember({"unet", "resnet"}))
      ->capture_default_str();
  app.add_option("--size", config.size, "image side")->capture_default_str();
  app.add_option("--ngf", config.ngf, "generator width")->capture_default_str();
  app.add_option("--ndf", config.ndf, "discriminator width")->capture_default_str();
  app.add_option("--batch", batch, "batch size")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--steps", steps, "timed steps (after one warm-up step)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--threads", threads, "CPU threads (OpenMP and Eigen)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--device", device_name, "cpu or cuda")
      ->check(CLI::IsMember({"cpu", "cuda"}))
      ->capture_default_str();
  app.add_option("--conv-math", conv_math,
                 "cuda convolutions: fp32, or tf32 (tensor cores, inputs rounded to 10 mantissa bits)")
      ->check(CLI::IsMember({"fp32", "tf32"}))
      ->capture_default_str();
  app.add_flag("!--no-phases", phases, "do not time the phases of each step");
  app.add_flag("--ceiling", ceiling, "also measure the Eigen float32 GEMM ceiling (2048^3)");
  bool forward_only = false;
  app.add_flag("--forward-only", forward_only,
               "time inference: G_AB forwards in eval mode without a graph (images/s)");
  CLI11_PARSE(app, argc, argv);

  try {
    config.validate();
    set_num_threads(threads);
    const bool cuda = device_name == "cuda";
    const Device dev = cuda ? Device::cuda : Device::cpu;
    if (cuda) device::require_cuda("bench_step --device cuda");
    device::set_conv_math(conv_math);

    models::CycleGAN nets(config, /*seed=*/0);
    nets.to(dev);
    nets.train(true);
    train::CycleGANStep step(nets, train::StepOptions{}, nn::AdamOptions{}, /*pool_size=*/0,
                             /*pool_seed=*/0);
    Rng g(1);
    const Shape shape{batch, config.channels, config.size, config.size};
    const Tensor a = Tensor::uniform(shape, g, -1.0, 1.0, DType::f32, dev);
    const Tensor b = Tensor::uniform(shape, g, -1.0, 1.0, DType::f32, dev);

    const double fg = batch * (config.gen == "unet" ? unet_flops(config) : resnet_flops(config));
    const double fd = batch * patchgan_flops(config);
    const double step_flop = 18 * fg + 14 * fd;
    std::printf("params G=%lld D=%lld  fwd GFLOP G=%.3f D=%.3f\n",
                static_cast<long long>(nets.G_AB->parameter_count()),
                static_cast<long long>(nets.D_A->parameter_count()), fg / 1e9, fd / 1e9);
    std::printf("gan device=%s threads=%d step=seed gen=%s size=%d ngf=%d ndf=%d batch=%d conv_math=%s\n",
                device_name.c_str(), threads, config.gen.c_str(), config.size, config.ngf,
                config.ndf, batch, conv_math.c_str());
    std::fflush(stdout);

    if (forward_only) {
      nets.G_AB->train(false);
      NoGradGuard no_grad;
      Timer t(cuda);
      (void)(*nets.G_AB)(a);  // warm-up
      std::printf("warm-up forward %.3f s\n", t.seconds());
      profile::reset();
      std::vector<double> times;
      for (int i = 0; i < steps; ++i) {
        t.restart();
        const Tensor y = (*nets.G_AB)(a);
        if (cuda) device::synchronize();
        times.push_back(t.seconds());
      }
      if (profile::enabled())
        std::printf("per-op profile over %d forwards (GAN_PROFILE):\n%s", steps, profile::report().c_str());
      const double med = median(times);
      std::printf("sec/forward median=%.4f min=%.4f max=%.4f peak_rss_mib=%.0f images/s=%.2f\n",
                  med, *std::min_element(times.begin(), times.end()),
                  *std::max_element(times.begin(), times.end()), peak_rss_mib(), batch / med);
      std::printf("~GFLOP/forward=%.1f -> %.1f GFLOP/s\n", fg / 1e9, fg / med / 1e9);
      return 0;
    }
    step.set_timing(phases);
    Timer t(cuda);
    step.step(a, b);  // warm-up: allocator caches, Adam moments touched once
    std::printf("warm-up step %.3f s\n", t.seconds());
    profile::reset();  // GAN_PROFILE=1: per-op times of the timed steps only
    std::vector<double> times;
    train::StepTimings sum;
    for (int i = 0; i < steps; ++i) {
      t.restart();
      step.step(a, b);
      times.push_back(t.seconds());
      const train::StepTimings& p = step.last_timings();
      sum.forward_G += p.forward_G / steps;
      sum.forward_D += p.forward_D / steps;
      sum.losses += p.losses / steps;
      sum.backward_G += p.backward_G / steps;
      sum.backward_D += p.backward_D / steps;
      sum.adam += p.adam / steps;
    }
    if (phases)
      std::printf(
          "phases (mean s/step): forward_G=%.4f forward_D=%.4f losses=%.4f backward_G=%.4f "
          "backward_D=%.4f adam=%.4f sum=%.4f\n",
          sum.forward_G, sum.forward_D, sum.losses, sum.backward_G, sum.backward_D, sum.adam,
          sum.total());
    if (profile::enabled())
      std::printf("per-op profile over %d steps (GAN_PROFILE):\n%s", steps, profile::report().c_str());
    const double med = median(times);
    std::printf("sec/step median=%.4f min=%.4f max=%.4f peak_rss_mib=%.0f\n", med,
                *std::min_element(times.begin(), times.end()),
                *std::max_element(times.begin(), times.end()), peak_rss_mib());
    std::printf("~GFLOP/step=%.1f -> %.1f GFLOP/s\n", step_flop / 1e9, step_flop / med / 1e9);
    if (ceiling && !cuda) {
      const double peak = gemm_ceiling_gflops(2048, 5);
      std::printf("eigen_gemm_f32_2048=%.1f GFLOP/s  step/ceiling=%.2f\n", peak,
                  step_flop / med / 1e9 / peak);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_step: %s\n", e.what());
    return 1;
  }
  return 0;
}
