// CPU convolution kernels (kernels/cpu/conv2d.h, conv_transpose2d.h) at the layer shapes of the
// CycleGAN networks, float32: forward, data gradient and weight gradient of every layer, with
// GFLOP/s (2 * N * Cout * Cin * k * k * Hout * Wout per pass, Hout/Wout of the convolution side),
// plus 2048^3 GEMMs as the ceiling the im2col + GEMM path can reach (Eigen's product and our packed
// GEMM, kernels/cpu/gemm_packed.h). Every layer runs on both GEMMs: "/packed" (the default) and
// "/eigen" (the plain path), so one run gives their ratio on this machine.
//   bench_conv_cpu --benchmark_min_time=0.1 --benchmark_filter=resnet
#include <benchmark/benchmark.h>

#include <Eigen/Core>
#include <string>
#include <vector>

#include "kernels/cpu/conv_transpose2d.h"

namespace {

using gan::kernels::ConvGeometry;
namespace k = gan::kernels::cpu;

struct Layer {
  std::string name;
  int64_t n, c_in, h, w, c_out, k, stride, pad;
  bool transposed = false;
  int64_t output_padding = 0;
};

// The layer's own geometry.
ConvGeometry geometry_of(const Layer& l) {
  if (l.transposed)
    return gan::kernels::make_conv_transpose_geometry(l.n, l.c_in, l.h, l.w, l.c_out, l.k,
                                                      l.stride, l.pad, l.output_padding);
  return gan::kernels::make_conv_geometry(l.n, l.c_in, l.h, l.w, l.c_out, l.k, l.stride, l.pad);
}

std::vector<float> random_values(int64_t n, unsigned seed) {
  std::vector<float> v(static_cast<size_t>(n));
  unsigned s = seed;
  for (float& x : v) {
    s = s * 1664525u + 1013904223u;
    x = float(s >> 8) / float(1 << 24) - 0.5f;
  }
  return v;
}

enum class Pass { forward, backward_data, backward_weight };

void run_layer(benchmark::State& state, const Layer& l, Pass pass, k::CpuGemm gemm) {
  k::set_cpu_gemm(gemm);
  const ConvGeometry op = geometry_of(l);
  // The convolution the kernels run (for a transposed layer: its inverse convolution).
  const ConvGeometry g = l.transposed ? gan::kernels::inverse_convolution(op) : op;
  // Buffers of the convolution g: "big" = its input side, "small" = its output side.
  std::vector<float> in = random_values(g.n * g.c_in * g.in_plane(), 1);
  std::vector<float> out = random_values(g.n * g.c_out * g.out_plane(), 2);
  std::vector<float> wt = random_values(g.c_out * g.patch(), 3), bias = random_values(g.c_out + g.c_in, 4);
  for (auto _ : state) {
    if (!l.transposed) {
      if (pass == Pass::forward) k::conv2d_forward(in.data(), wt.data(), bias.data(), out.data(), g);
      if (pass == Pass::backward_data) k::conv2d_backward_data(out.data(), wt.data(), in.data(), g);
      if (pass == Pass::backward_weight) k::conv2d_backward_weight(in.data(), out.data(), wt.data(), g);
    } else {  // x = out side, y = in side
      if (pass == Pass::forward)
        k::conv_transpose2d_forward(out.data(), wt.data(), bias.data(), in.data(), op);
      if (pass == Pass::backward_data)
        k::conv_transpose2d_backward_data(in.data(), wt.data(), out.data(), op);
      if (pass == Pass::backward_weight)
        k::conv_transpose2d_backward_weight(out.data(), in.data(), wt.data(), op);
    }
    benchmark::ClobberMemory();
  }
  const double flops = 2.0 * double(g.n * g.c_out * g.patch() * g.out_plane());
  state.counters["GFLOP/s"] = benchmark::Counter(flops / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

void gemm_ceiling(benchmark::State& state) {
  const int n = 2048;
  Eigen::MatrixXf a = Eigen::MatrixXf::Random(n, n), b = Eigen::MatrixXf::Random(n, n), c(n, n);
  const int threads = k::conv_threads();
  for (auto _ : state) {
    // Eigen's products are single-threaded in this build (EIGEN_DONT_PARALLELIZE): each thread
    // multiplies a by its share of b's columns, as the convolutions thread their products.
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int t = 0; t < threads; ++t) {
      const int j0 = n * t / threads, j1 = n * (t + 1) / threads;
      c.middleCols(j0, j1 - j0).noalias() = a * b.middleCols(j0, j1 - j0);
    }
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * n * n * n / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

// The machine's fused multiply-add peak, measured: every thread runs independent chains of FMAs on
// SIMD registers (Eigen's packet, the width the build machine vectorizes with), more chains than
// the FMA latency times the FMA units, so nothing waits. GFLOP/s = 2 * lanes * FMAs / time, at
// whatever clock the cores run while loaded.
void fma_peak(benchmark::State& state) {
  using namespace Eigen::internal;
  using Packet = k::gemm::Packet;
  // 16 chains fill half of AVX-512's 32 registers; with AVX2's 16, 12 chains plus a and b fit
  // (16 would spill to the stack and read low). Either is more than latency 4 x 2 FMA units.
  constexpr int kChains = k::gemm::kLanes >= 16 ? 16 : 12;
  constexpr int64_t kSteps = 1 << 20;
  const int threads = k::conv_threads();
  float sink = 0;
  for (auto _ : state) {
#pragma omp parallel num_threads(threads) reduction(+ : sink)
    {
      Packet acc[kChains];
      const Packet a = pset1<Packet>(0.999f), b = pset1<Packet>(1e-3f);
      for (int c = 0; c < kChains; ++c) acc[c] = pset1<Packet>(float(c));
      for (int64_t s = 0; s < kSteps; ++s)
        for (int c = 0; c < kChains; ++c) acc[c] = pmadd(acc[c], a, b);
      for (int c = 0; c < kChains; ++c) sink += predux(acc[c]);
    }
  }
  benchmark::DoNotOptimize(sink);
  const double flops = 2.0 * k::gemm::kLanes * kChains * double(kSteps) * threads;
  state.counters["GFLOP/s"] = benchmark::Counter(flops / 1e9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["lanes"] = k::gemm::kLanes;
}

// The packed GEMM on the same product, threaded the way the convolutions thread it: each thread
// multiplies the shared packed A by its own share of the columns.
void packed_gemm_ceiling(benchmark::State& state) {
  const int64_t n = 2048;
  std::vector<float> a = random_values(n * n, 5), b = random_values(n * n, 6), c(size_t(n * n));
  for (auto _ : state) {
    const k::PackedA packed(k::row_major(a.data(), n, n, n));
    const int threads = k::conv_threads();
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int t = 0; t < threads; ++t) {
      const int64_t j0 = n * t / threads, j1 = n * (t + 1) / threads;
      k::gemm_packed(packed, k::row_major(b.data() + j0, n, j1 - j0, n), c.data() + j0, n, false);
    }
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * n * n * n / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

std::vector<Layer> cyclegan_layers() {
  return {
      // U-Net 256, ngf 64: 4x4 stride-2 convolutions down, transposed convolutions up.
      {"unet/down1 1->64 k4s2 256", 1, 1, 256, 256, 64, 4, 2, 1},
      {"unet/down2 64->128 k4s2 128", 1, 64, 128, 128, 128, 4, 2, 1},
      {"unet/down3 128->256 k4s2 64", 1, 128, 64, 64, 256, 4, 2, 1},
      {"unet/down4 256->512 k4s2 32", 1, 256, 32, 32, 512, 4, 2, 1},
      {"unet/down5 512->512 k4s2 16", 1, 512, 16, 16, 512, 4, 2, 1},
      {"unet/down8 512->512 k4s2 2", 1, 512, 2, 2, 512, 4, 2, 1},
      {"unet/up8 512->512 k4s2 1", 1, 512, 1, 1, 512, 4, 2, 1, true},
      {"unet/up5 1024->512 k4s2 8", 1, 1024, 8, 8, 512, 4, 2, 1, true},
      {"unet/up4 1024->256 k4s2 16", 1, 1024, 16, 16, 256, 4, 2, 1, true},
      {"unet/up3 512->128 k4s2 32", 1, 512, 32, 32, 128, 4, 2, 1, true},
      {"unet/up2 256->64 k4s2 64", 1, 256, 64, 64, 64, 4, 2, 1, true},
      {"unet/up1 128->1 k4s2 128", 1, 128, 128, 128, 1, 4, 2, 1, true},
      // U-Net 128, ngf 32 (the small configuration measured against PyTorch).
      {"unet128/down1 1->32 k4s2 128", 1, 1, 128, 128, 32, 4, 2, 1},
      {"unet128/down2 32->64 k4s2 64", 1, 32, 64, 64, 64, 4, 2, 1},
      {"unet128/down3 64->128 k4s2 32", 1, 64, 32, 32, 128, 4, 2, 1},
      {"unet128/down4 128->256 k4s2 16", 1, 128, 16, 16, 256, 4, 2, 1},
      {"unet128/down5 256->256 k4s2 8", 1, 256, 8, 8, 256, 4, 2, 1},
      {"unet128/down6 256->256 k4s2 4", 1, 256, 4, 4, 256, 4, 2, 1},
      {"unet128/down7 256->256 k4s2 2", 1, 256, 2, 2, 256, 4, 2, 1},
      {"unet128/up7 256->256 k4s2 1", 1, 256, 1, 1, 256, 4, 2, 1, true},
      {"unet128/up6 512->256 k4s2 2", 1, 512, 2, 2, 256, 4, 2, 1, true},
      {"unet128/up5 512->256 k4s2 4", 1, 512, 4, 4, 256, 4, 2, 1, true},
      {"unet128/up4 512->128 k4s2 8", 1, 512, 8, 8, 128, 4, 2, 1, true},
      {"unet128/up3 256->64 k4s2 16", 1, 256, 16, 16, 64, 4, 2, 1, true},
      {"unet128/up2 128->32 k4s2 32", 1, 128, 32, 32, 32, 4, 2, 1, true},
      {"unet128/up1 64->1 k4s2 64", 1, 64, 64, 64, 1, 4, 2, 1, true},
      // ResNet-9: reflection padding is a separate op, so the 7x7 and block convs use padding 0.
      {"resnet/in 1->64 k7 262", 1, 1, 262, 262, 64, 7, 1, 0},
      {"resnet/down1 64->128 k3s2 256", 1, 64, 256, 256, 128, 3, 2, 1},
      {"resnet/down2 128->256 k3s2 128", 1, 128, 128, 128, 256, 3, 2, 1},
      {"resnet/block 256->256 k3 66", 1, 256, 66, 66, 256, 3, 1, 0},
      {"resnet/up1 256->128 k3s2op1 64", 1, 256, 64, 64, 128, 3, 2, 1, true, 1},
      {"resnet/up2 128->64 k3s2op1 128", 1, 128, 128, 128, 64, 3, 2, 1, true, 1},
      {"resnet/out 64->1 k7 262", 1, 64, 262, 262, 1, 7, 1, 0},
      // PatchGAN (3 layers): 4x4 stride 2, then stride 1.
      {"patch/l1 1->64 k4s2 256", 1, 1, 256, 256, 64, 4, 2, 1},
      {"patch/l2 64->128 k4s2 128", 1, 64, 128, 128, 128, 4, 2, 1},
      {"patch/l3 128->256 k4s2 64", 1, 128, 64, 64, 256, 4, 2, 1},
      {"patch/l4 256->512 k4s1 32", 1, 256, 32, 32, 512, 4, 1, 1},
      {"patch/l5 512->1 k4s1 31", 1, 512, 31, 31, 1, 4, 1, 1},
  };
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::RegisterBenchmark("fma_peak_f32", fma_peak)->UseRealTime()->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("eigen_gemm_f32_2048", gemm_ceiling)->UseRealTime()->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("packed_gemm_f32_2048", packed_gemm_ceiling)->UseRealTime()->Unit(benchmark::kMillisecond);
  for (const Layer& l : cyclegan_layers()) {
    const std::string op = l.transposed ? "conv_transpose2d " : "conv2d ";
    const std::pair<Pass, const char*> passes[] = {{Pass::forward, "fwd"},
                                                   {Pass::backward_data, "bwd_data"},
                                                   {Pass::backward_weight, "bwd_weight"}};
    const std::pair<k::CpuGemm, const char*> gemms[] = {{k::CpuGemm::packed, "/packed"},
                                                        {k::CpuGemm::eigen, "/eigen"}};
    for (auto [pass, pass_name] : passes)
      for (auto [gemm, gemm_name] : gemms)
        benchmark::RegisterBenchmark(
            (op + l.name + " " + pass_name + gemm_name).c_str(),
            [l, pass = pass, gemm = gemm](benchmark::State& s) { run_layer(s, l, pass, gemm); })
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
