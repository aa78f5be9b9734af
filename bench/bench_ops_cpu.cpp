// The CPU ops around the convolutions (core/ops.h), forward and backward, at the activation shapes of
// the U-Net 256 and ResNet-9 256 generators (ngf 64) and the PatchGAN (ndf 64), float32, plus one
// Adam update of the ResNet-9 generator's 11.4M parameters. These ops are memory-bound, so each
// benchmark reports bytes/s over the traffic it cannot avoid (every input read once, every output
// written once), to compare with the machine's memory bandwidth.
//   bench_ops_cpu --benchmark_min_time=0.1
// Why its list is not the op table's (tests/ops/op_table.cpp): the table's cases are small enough
// for float64 finite differences (a few hundred elements), where a timing measures dispatch, not
// memory traffic; these are the shapes a training step runs, megabytes each. Every case of the
// table is timed on each device by `test_ops "[perf]"` (tests/ops/test_op_perf.cpp).
// Forward runs with the input requiring a gradient, as in training (the op records its graph node);
// backward calls that node's closure alone on a ones gradient, so it times the op's own backward.
#include <benchmark/benchmark.h>

#include <functional>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/rng.h"
#include "models/cyclegan.h"
#include "nn/adam.h"

namespace {

using namespace gan;

Tensor random_input(const Shape& s, uint64_t seed, bool requires_grad = true) {
  Rng g(seed);
  Tensor t = Tensor::uniform(s, g, -1.0, 1.0);
  if (requires_grad) t.set_requires_grad(true);
  return t;
}

std::string shape_name(const Shape& s) {
  std::string r = "[";
  for (int i = 0; i < s.ndim; ++i) r += (i ? "," : "") + std::to_string(s[i]);
  return r + "]";
}

// An op as the benchmarks see it: its input shapes, how to run it, and its compulsory traffic in
// elements (forward: inputs read + outputs written; backward: what the closure must read + write).
// The inputs are made inside the benchmark, not at registration (before main).
struct Input {
  Shape shape;
  bool requires_grad = true;
};
struct OpCase {
  std::string name;
  std::vector<Input> inputs;
  std::function<Tensor(const std::vector<Tensor>&)> run;
  double forward_elems, backward_elems;
};

std::vector<Tensor> make_inputs(const OpCase& c) {
  std::vector<Tensor> in;
  for (const Input& i : c.inputs) in.push_back(random_input(i.shape, in.size() + 1, i.requires_grad));
  return in;
}

void forward_bench(benchmark::State& state, const OpCase& c) {
  const std::vector<Tensor> in = make_inputs(c);
  for (auto _ : state) {
    Tensor y = c.run(in);
    benchmark::DoNotOptimize(y.raw_data());
  }
  state.SetBytesProcessed(int64_t(double(state.iterations()) * c.forward_elems * sizeof(float)));
}

void backward_bench(benchmark::State& state, const OpCase& c) {
  const std::vector<Tensor> in = make_inputs(c);
  const Tensor y = c.run(in);
  const std::shared_ptr<Node>& node = y.grad_fn();
  if (!node) {
    state.SkipWithError("op recorded no graph node");
    return;
  }
  std::vector<bool> needs;
  for (const Tensor& t : node->inputs) needs.push_back(t.defined() && t.requires_grad());
  const Tensor gy = Tensor::ones(y.shape());
  for (auto _ : state) {
    std::vector<Tensor> gx = node->backward(gy, needs);
    benchmark::DoNotOptimize(gx.data());
  }
  state.SetBytesProcessed(int64_t(double(state.iterations()) * c.backward_elems * sizeof(float)));
}

// Elementwise y = f(x): forward reads x and writes y; backward reads dy and x (or y), writes dx.
OpCase pointwise(const std::string& name, const Shape& s, std::function<Tensor(const Tensor&)> f) {
  const double n = double(s.numel());
  return {name + " " + shape_name(s), {{s}},
          [f](const std::vector<Tensor>& in) { return f(in[0]); }, 2 * n, 3 * n};
}

std::vector<OpCase> op_cases() {
  std::vector<OpCase> cases;
  // Activation shapes: U-Net 256/64 encoder 128^2x64 .. 16^2x512, decoder the same plus skips;
  // ResNet-9 256/64: 256^2x64, 128^2x128, 64^2x256 (the nine residual blocks).
  const std::vector<Shape> norm_shapes = {{1, 64, 256, 256}, {1, 64, 128, 128}, {1, 128, 128, 128},
                                          {1, 256, 64, 64},  {1, 256, 32, 32},  {1, 512, 16, 16}};
  for (const Shape& s : norm_shapes) {
    // Forward reads x twice in principle (stats, then normalize), counted once here.
    const double n = double(s.numel());
    cases.push_back({"instance_norm2d " + shape_name(s), {{s}},
                     [](const std::vector<Tensor>& in) {
                       return ops::instance_norm2d(in[0], Tensor(), Tensor());
                     },
                     2 * n, 3 * n});
  }
  // The fused norm + activation the networks run (ResNet/U-Net decoder: ReLU; PatchGAN and U-Net
  // encoder: LeakyReLU 0.2): the same traffic as instance_norm2d alone.
  for (const Shape& s : norm_shapes) {
    const double n = double(s.numel());
    cases.push_back({"instance_norm2d_act relu " + shape_name(s), {{s}},
                     [](const std::vector<Tensor>& in) {
                       return ops::instance_norm2d_act(in[0], Tensor(), Tensor(), 0.0);
                     },
                     2 * n, 3 * n});
  }
  cases.push_back({"instance_norm2d_act leaky0.2 [1,128,128,128]", {{Shape{1, 128, 128, 128}}},
                   [](const std::vector<Tensor>& in) {
                     return ops::instance_norm2d_act(in[0], Tensor(), Tensor(), 0.2);
                   },
                   2.0 * 128 * 128 * 128, 3.0 * 128 * 128 * 128});
  for (const Shape& s : {Shape{1, 64, 128, 128}, Shape{1, 256, 32, 32}})
    cases.push_back(pointwise("leaky_relu", s, [](const Tensor& x) { return ops::leaky_relu(x, 0.2); }));
  for (const Shape& s : {Shape{1, 64, 256, 256}, Shape{1, 256, 64, 64}, Shape{1, 64, 128, 128}})
    cases.push_back(pointwise("relu", s, [](const Tensor& x) { return ops::relu(x); }));
  cases.push_back(pointwise("tanh", {1, 1, 256, 256}, [](const Tensor& x) { return ops::tanh(x); }));
  for (const Shape& s : {Shape{1, 512, 8, 8}, Shape{1, 64, 128, 128}})
    cases.push_back(pointwise("dropout p0.5", s, [](const Tensor& x) {
      static Rng g(7);
      return ops::dropout(x, 0.5, /*training=*/true, g);
    }));

  // Reflection padding: ResNet-9 blocks (pad 1 at 64^2x256), the 7x7 ends (pad 3).
  struct Pad { Shape s; int pad; };
  for (const Pad& p : {Pad{{1, 256, 64, 64}, 1}, Pad{{1, 64, 256, 256}, 3}, Pad{{1, 1, 256, 256}, 3}}) {
    const double n_in = double(p.s.numel());
    const double n_out = double(p.s[0] * p.s[1] * (p.s[2] + 2 * p.pad) * (p.s[3] + 2 * p.pad));
    cases.push_back({"reflection_pad2d pad" + std::to_string(p.pad) + " " + shape_name(p.s),
                     {{p.s}},
                     [pad = p.pad](const std::vector<Tensor>& in) {
                       return ops::reflection_pad2d(in[0], pad);
                     },
                     n_in + n_out, n_out + n_in});
  }

  // U-Net skip concatenations [up(x), skip] along channels.
  for (const Shape& s : {Shape{1, 64, 128, 128}, Shape{1, 256, 32, 32}, Shape{1, 512, 8, 8}}) {
    const double n = double(s.numel());
    cases.push_back({"concat 2x" + shape_name(s), {{s}, {s}},
                     [](const std::vector<Tensor>& in) { return ops::concat(in, 1); }, 4 * n, 4 * n});
  }

  // Losses: cycle/identity L1 on whole images, BCE on the PatchGAN's 30x30 logits (and a larger map).
  for (const Shape& s : {Shape{1, 1, 256, 256}, Shape{4, 1, 256, 256}}) {
    const double n = double(s.numel());
    cases.push_back({"l1_loss " + shape_name(s), {{s}, {s, false}},
                     [](const std::vector<Tensor>& in) { return ops::l1_loss(in[0], in[1]); },
                     2 * n, 3 * n});
  }
  for (const Shape& s : {Shape{1, 1, 30, 30}, Shape{16, 1, 62, 62}}) {
    const double n = double(s.numel());
    cases.push_back({"bce_with_logits " + shape_name(s), {{s}},
                     [](const std::vector<Tensor>& in) { return ops::bce_with_logits(in[0], 1.0); },
                     n, 2 * n});
  }
  return cases;
}

// One Adam update over the ResNet-9 256/64 generator's parameters (11.4M), gradients set:
// reads parameter, gradient and both moments, writes parameter and both moments.
void adam_step(benchmark::State& state) {
  models::ModelConfig config;
  config.gen = "resnet";
  auto net = models::make_generator(config, std::make_shared<Rng>(0));
  Rng g(9);
  nn::init_parameters(*net, g);
  std::vector<Tensor> params = net->parameters();
  int64_t n = 0;
  for (Tensor& p : params) {
    p.set_grad(Tensor::uniform(p.shape(), g, -1e-3, 1e-3));
    n += p.numel();
  }
  nn::Adam adam(params);
  for (auto _ : state) {
    adam.step();
    benchmark::ClobberMemory();
  }
  state.counters["params"] = double(n);
  state.SetBytesProcessed(int64_t(double(state.iterations()) * 7.0 * double(n) * sizeof(float)));
}

const int registered = [] {
  for (const OpCase& c : op_cases()) {
    benchmark::RegisterBenchmark((c.name + " fwd").c_str(),
                                 [c](benchmark::State& s) { forward_bench(s, c); })
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark((c.name + " bwd").c_str(),
                                 [c](benchmark::State& s) { backward_bench(s, c); })
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond);
  }
  benchmark::RegisterBenchmark("adam_step resnet9_256_ngf64", adam_step)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  return 0;
}();

}  // namespace

BENCHMARK_MAIN();
