// The convolution kernels (kernels/cuda/conv2d.cu) on a GPU at the layer shapes of the models at
// 256x256 with 64 base filters and one image channel (MRI slices), batch 1: the U-Net generator,
// the ResNet-9 generator and the 70x70 PatchGAN. Every layer's forward, data gradient and weight
// gradient, for every kernel variant and, when built with cuDNN (GAN_HAS_CUDNN), beside cuDNN's
// fastest algorithm for the same op found by cudnnFind*AlgorithmEx, twice: FP32 FMA math
// (CUDNN_FMA_MATH: no TF32, as our variants 0-2; rows ".../cudnn") and tensor-op math
// (CUDNN_TENSOR_OP_MATH, which lets FP32 convolutions run on TF32 tensor cores, as our variant 3;
// rows ".../cudnn_tf32"). Counters:
//   GFLOP/s      2 * multiply-adds of the dense convolution / time (cudaEvent timing)
//   vs_cudnn     our GFLOP/s over cuDNN's for the same op in the same math (FP32 variants against
//                cuDNN FP32, the TF32 variant against cuDNN TF32; 1 = as fast; only with cuDNN)
//   max_rel_err  max |ours - ref| / max |ref| over the output, ref = cuDNN's FP32 result when
//                built with cuDNN, else variant 0 (so TF32 rows show TF32's own error, ~1e-3)
// Run by tools/gpu_check.sh; --benchmark_filter=unet selects one network, /v2 one variant.

// Variant numbers of the two cuDNN references (ours are 0 .. kConvVariants - 1).
constexpr int kCudnnFp32 = -1, kCudnnTf32 = -2;
#include <benchmark/benchmark.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/cpu/conv_transpose2d.h"
#include "kernels/cuda/conv_transpose2d.h"

#if GAN_HAS_CUDNN
#include <cudnn.h>
#endif

namespace gan::kernels::cuda {
cudaStream_t stream();  // the engine's stream (kernels/cuda/launch.h, a header for .cu files)
}

namespace {

using gan::kernels::ConvGeometry;

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess)
    throw std::runtime_error(std::string("CUDA error: ") + cudaGetErrorString(e) + " (" + what + ")");
}
#define BENCH_CUDA(expr) check((expr), #expr)
#if GAN_HAS_CUDNN
void check(cudnnStatus_t s, const char* what) {
  if (s != CUDNN_STATUS_SUCCESS)
    throw std::runtime_error(std::string("cuDNN error: ") + cudnnGetErrorString(s) + " (" + what + ")");
}
#define BENCH_CUDNN(expr) check((expr), #expr)
#endif

// One layer: the convolution g whose passes it runs. A transposed convolution's passes are g's
// passes in another order (kernels/cpu/conv_transpose2d.h).
struct Layer {
  std::string net, name;
  ConvGeometry g;
  bool transposed;
};

std::vector<Layer> layers() {
  using gan::kernels::make_conv_geometry;
  using gan::kernels::make_conv_transpose_geometry;
  using gan::kernels::inverse_convolution;
  std::vector<Layer> r;
  auto conv = [&](const char* net, std::string name, int64_t ci, int64_t h, int64_t co, int64_t k,
                  int64_t s, int64_t p) {
    r.push_back({net, name, make_conv_geometry(1, ci, h, h, co, k, s, p), false});
  };
  auto convt = [&](const char* net, std::string name, int64_t ci, int64_t h, int64_t co, int64_t k,
                   int64_t s, int64_t p, int64_t op) {
    const ConvGeometry t = make_conv_transpose_geometry(1, ci, h, h, co, k, s, p, op);
    r.push_back({net, name, inverse_convolution(t), true});
  };
  // U-Net 256: eight 4x4 stride-2 downs, eight 4x4 stride-2 transposed ups (skips doubling c_in).
  const int widths[8] = {64, 128, 256, 512, 512, 512, 512, 512};
  int cin = 1, h = 256;
  for (int i = 0; i < 8; ++i, h /= 2) {
    conv("unet", "down" + std::to_string(i + 1), cin, h, widths[i], 4, 2, 1);
    cin = widths[i];
  }
  h = 1;
  for (int j = 0; j < 7; ++j, h *= 2) {
    convt("unet", "up" + std::to_string(j + 1), cin, h, widths[6 - j], 4, 2, 1, 0);
    cin = 2 * widths[6 - j];
  }
  convt("unet", "up8", cin, 128, 1, 4, 2, 1, 0);
  // ResNet-9: 7x7 on the reflection-padded input, two 3x3 stride-2 downs, 3x3 residual convs on
  // padded 66x66 planes, two 3x3 stride-2 transposed ups, 7x7 out.
  conv("resnet", "in7x7", 1, 262, 64, 7, 1, 0);
  conv("resnet", "down1", 64, 256, 128, 3, 2, 1);
  conv("resnet", "down2", 128, 128, 256, 3, 2, 1);
  conv("resnet", "res3x3", 256, 66, 256, 3, 1, 0);
  convt("resnet", "up1", 256, 64, 128, 3, 2, 1, 1);
  convt("resnet", "up2", 128, 128, 64, 3, 2, 1, 1);
  conv("resnet", "out7x7", 64, 262, 1, 7, 1, 0);
  // 70x70 PatchGAN: three 4x4 stride-2 convs, then 4x4 stride-1 to 512 and to one channel.
  conv("patchgan", "c1", 1, 256, 64, 4, 2, 1);
  conv("patchgan", "c2", 64, 128, 128, 4, 2, 1);
  conv("patchgan", "c3", 128, 64, 256, 4, 2, 1);
  conv("patchgan", "c4", 256, 32, 512, 4, 1, 1);
  conv("patchgan", "c5", 512, 31, 1, 4, 1, 1);
  return r;
}

// The layer's own passes and the passes of g they are.
enum class Pass { forward, backward_data, backward_weight };
const char* pass_name(Pass p) {
  return p == Pass::forward ? "fwd" : p == Pass::backward_data ? "bwd_data" : "bwd_weight";
}
// The pass of g that computes layer pass p.
Pass g_pass(const Layer& l, Pass p) {
  if (!l.transposed) return p;
  if (p == Pass::forward) return Pass::backward_data;
  if (p == Pass::backward_data) return Pass::forward;
  return Pass::backward_weight;
}

struct DeviceArray {
  float* p = nullptr;
  size_t n = 0;
  explicit DeviceArray(size_t count) : n(count) { BENCH_CUDA(cudaMalloc(&p, n * sizeof(float))); }
  DeviceArray(const DeviceArray&) = delete;
  ~DeviceArray() { cudaFree(p); }
  std::vector<float> to_host() const {
    std::vector<float> h(n);
    BENCH_CUDA(cudaMemcpy(h.data(), p, n * sizeof(float), cudaMemcpyDeviceToHost));
    return h;
  }
};

// Random tensors of one layer in g's terms: x, w, gy and the three outputs.
struct LayerData {
  DeviceArray x, w, gy, out, ref;
  explicit LayerData(const ConvGeometry& g)
      : x(size_t(g.n * g.c_in * g.h * g.w)),
        w(size_t(g.c_out * g.c_in * g.k * g.k)),
        gy(size_t(g.n * g.c_out * g.h_out * g.w_out)),
        out(std::max({x.n, w.n, gy.n})),
        ref(std::max({x.n, w.n, gy.n})) {
    uint32_t state = 12345u;
    for (DeviceArray* a : {&x, &w, &gy}) {
      std::vector<float> h(a->n);
      for (float& v : h) {
        state = state * 1664525u + 1013904223u;
        v = float(state >> 8) / float(1u << 24) * 2.0f - 1.0f;
      }
      BENCH_CUDA(cudaMemcpy(a->p, h.data(), h.size() * sizeof(float), cudaMemcpyHostToDevice));
    }
  }
  size_t out_count(Pass p) const {
    return p == Pass::forward ? gy.n : p == Pass::backward_data ? x.n : w.n;
  }
};

LayerData& data_of(const Layer& l) {
  static std::map<std::string, std::unique_ptr<LayerData>> cache;
  auto& d = cache[l.net + "." + l.name];
  if (!d) d = std::make_unique<LayerData>(l.g);
  return *d;
}

void run_ours(const Layer& l, Pass p, int variant, LayerData& d, float* out) {
  const ConvGeometry& s = l.g;
  switch (p) {
    case Pass::forward: gan::kernels::cuda::conv2d_forward(d.x.p, d.w.p, nullptr, out, s, variant); break;
    case Pass::backward_data:
      gan::kernels::cuda::conv2d_backward_data(d.gy.p, d.w.p, nullptr, out, s, variant);
      break;
    case Pass::backward_weight: gan::kernels::cuda::conv2d_backward_weight(d.x.p, d.gy.p, out, s, variant); break;
  }
}

double flops(const ConvGeometry& g) {
  return 2.0 * double(g.n * g.c_out * g.h_out * g.w_out) * double(g.c_in * g.k * g.k);
}

// Median milliseconds of `reps` timed runs of f after one warm-up, with cudaEvents on the stream.
template <class F>
double time_ms(F&& f, int reps) {
  cudaEvent_t a, b;
  BENCH_CUDA(cudaEventCreate(&a));
  BENCH_CUDA(cudaEventCreate(&b));
  f();
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    BENCH_CUDA(cudaEventRecord(a, gan::kernels::cuda::stream()));
    f();
    BENCH_CUDA(cudaEventRecord(b, gan::kernels::cuda::stream()));
    BENCH_CUDA(cudaEventSynchronize(b));
    float ms = 0;
    BENCH_CUDA(cudaEventElapsedTime(&ms, a, b));
    t.push_back(ms);
  }
  BENCH_CUDA(cudaEventDestroy(a));
  BENCH_CUDA(cudaEventDestroy(b));
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

#if GAN_HAS_CUDNN
// cuDNN's fastest algorithm for one pass of g, its workspace, and a call running it.
struct CudnnOp {
  cudnnHandle_t handle = nullptr;
  cudnnTensorDescriptor_t xd = nullptr, yd = nullptr;
  cudnnFilterDescriptor_t wd = nullptr;
  cudnnConvolutionDescriptor_t cd = nullptr;
  int algo = -1;
  size_t workspace_bytes = 0;
  void* workspace = nullptr;
  double ms = 0;  // median time of the chosen algorithm
};

cudnnHandle_t cudnn() {
  static cudnnHandle_t h = [] {
    cudnnHandle_t r;
    BENCH_CUDNN(cudnnCreate(&r));
    BENCH_CUDNN(cudnnSetStream(r, gan::kernels::cuda::stream()));
    return r;
  }();
  return h;
}

void run_cudnn(const CudnnOp& c, Pass p, LayerData& d, float* out) {
  const float one = 1.0f, zero = 0.0f;
  switch (p) {
    case Pass::forward:
      BENCH_CUDNN(cudnnConvolutionForward(c.handle, &one, c.xd, d.x.p, c.wd, d.w.p, c.cd,
                                          cudnnConvolutionFwdAlgo_t(c.algo), c.workspace,
                                          c.workspace_bytes, &zero, c.yd, out));
      break;
    case Pass::backward_data:
      BENCH_CUDNN(cudnnConvolutionBackwardData(c.handle, &one, c.wd, d.w.p, c.yd, d.gy.p, c.cd,
                                               cudnnConvolutionBwdDataAlgo_t(c.algo), c.workspace,
                                               c.workspace_bytes, &zero, c.xd, out));
      break;
    case Pass::backward_weight:
      BENCH_CUDNN(cudnnConvolutionBackwardFilter(c.handle, &one, c.xd, d.x.p, c.yd, d.gy.p, c.cd,
                                                 cudnnConvolutionBwdFilterAlgo_t(c.algo),
                                                 c.workspace, c.workspace_bytes, &zero, c.wd, out));
      break;
  }
}

// The first usable entry of a cuDNN search result (sorted fastest first), for any of the three
// passes' perf types.
template <class Perf>
void take_fastest(const Perf* perf, int found, CudnnOp& c) {
  for (int i = 0; i < found; ++i)
    if (perf[i].status == CUDNN_STATUS_SUCCESS) {
      c.algo = perf[i].algo;
      c.workspace_bytes = perf[i].memory;
      return;
    }
}

// Finds (once per layer, pass and math) cuDNN's fastest algorithm and times it. The FP32 one's
// output is left in d.ref as the reference; the TF32 one writes to d.out (overwritten later).
CudnnOp& cudnn_op(const Layer& l, Pass p, LayerData& d, bool tf32) {
  static std::map<std::string, std::unique_ptr<CudnnOp>> cache;
  auto& slot = cache[l.net + "." + l.name + "." + pass_name(p) + (tf32 ? ".tf32" : "")];
  if (slot) return *slot;
  auto c = std::make_unique<CudnnOp>();
  const ConvGeometry& g = l.g;
  c->handle = cudnn();
  BENCH_CUDNN(cudnnCreateTensorDescriptor(&c->xd));
  BENCH_CUDNN(cudnnCreateTensorDescriptor(&c->yd));
  BENCH_CUDNN(cudnnCreateFilterDescriptor(&c->wd));
  BENCH_CUDNN(cudnnCreateConvolutionDescriptor(&c->cd));
  BENCH_CUDNN(cudnnSetTensor4dDescriptor(c->xd, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, int(g.n),
                                         int(g.c_in), int(g.h), int(g.w)));
  BENCH_CUDNN(cudnnSetTensor4dDescriptor(c->yd, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, int(g.n),
                                         int(g.c_out), int(g.h_out), int(g.w_out)));
  BENCH_CUDNN(cudnnSetFilter4dDescriptor(c->wd, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, int(g.c_out),
                                         int(g.c_in), int(g.k), int(g.k)));
  BENCH_CUDNN(cudnnSetConvolution2dDescriptor(c->cd, int(g.pad), int(g.pad), int(g.stride),
                                              int(g.stride), 1, 1, CUDNN_CROSS_CORRELATION,
                                              CUDNN_DATA_FLOAT));
  // FMA math: plain FP32, no TF32. Tensor-op math: FP32 data may run on TF32 tensor cores.
  BENCH_CUDNN(cudnnSetConvolutionMathType(c->cd, tf32 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH));
  float* sink = tf32 ? d.out.p : d.ref.p;
  // The search may use up to 1 GiB of workspace; the winner keeps what it needs.
  const size_t search_bytes = size_t(1) << 30;
  void* search = nullptr;
  BENCH_CUDA(cudaMalloc(&search, search_bytes));
  constexpr int kMaxAlgos = 16;
  int found = 0;
  switch (p) {
    case Pass::forward: {
      cudnnConvolutionFwdAlgoPerf_t perf[kMaxAlgos];
      BENCH_CUDNN(cudnnFindConvolutionForwardAlgorithmEx(c->handle, c->xd, d.x.p, c->wd, d.w.p,
                                                         c->cd, c->yd, sink, kMaxAlgos, &found,
                                                         perf, search, search_bytes));
      take_fastest(perf, found, *c);
      break;
    }
    case Pass::backward_data: {
      cudnnConvolutionBwdDataAlgoPerf_t perf[kMaxAlgos];
      BENCH_CUDNN(cudnnFindConvolutionBackwardDataAlgorithmEx(c->handle, c->wd, d.w.p, c->yd,
                                                              d.gy.p, c->cd, c->xd, sink,
                                                              kMaxAlgos, &found, perf, search,
                                                              search_bytes));
      take_fastest(perf, found, *c);
      break;
    }
    case Pass::backward_weight: {
      cudnnConvolutionBwdFilterAlgoPerf_t perf[kMaxAlgos];
      BENCH_CUDNN(cudnnFindConvolutionBackwardFilterAlgorithmEx(c->handle, c->xd, d.x.p, c->yd,
                                                                d.gy.p, c->cd, c->wd, sink,
                                                                kMaxAlgos, &found, perf, search,
                                                                search_bytes));
      take_fastest(perf, found, *c);
      break;
    }
  }
  BENCH_CUDA(cudaFree(search));
  if (c->algo < 0) throw std::runtime_error("cuDNN found no algorithm for " + l.name);
  if (c->workspace_bytes) BENCH_CUDA(cudaMalloc(&c->workspace, c->workspace_bytes));
  c->ms = time_ms([&] { run_cudnn(*c, p, d, sink); }, 21);
  BENCH_CUDA(cudaStreamSynchronize(gan::kernels::cuda::stream()));
  slot = std::move(c);
  return *slot;
}
#endif

// The reference output of g's pass p in d.ref: cuDNN's when built with it, else variant 0.
// Returns cuDNN's median milliseconds, or 0 without cuDNN.
double make_reference(const Layer& l, Pass p, LayerData& d) {
#if GAN_HAS_CUDNN
  CudnnOp& c = cudnn_op(l, p, d, /*tf32=*/false);
  run_cudnn(c, p, d, d.ref.p);
  BENCH_CUDA(cudaStreamSynchronize(gan::kernels::cuda::stream()));
  return c.ms;
#else
  run_ours(l, p, 0, d, d.ref.p);
  BENCH_CUDA(cudaStreamSynchronize(gan::kernels::cuda::stream()));
  return 0.0;
#endif
}

double max_rel_error(const std::vector<float>& a, const std::vector<float>& ref) {
  double diff = 0, scale = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, std::fabs(double(a[i]) - double(ref[i])));
    scale = std::max(scale, std::fabs(double(ref[i])));
  }
  return std::isfinite(diff) ? diff / std::max(scale, 1e-30) : INFINITY;
}

std::string describe(const Layer& l) {
  const ConvGeometry& g = l.g;
  // The layer's own view: a transposed layer maps g's output side to its input.
  const int64_t ci = l.transposed ? g.c_out : g.c_in, co = l.transposed ? g.c_in : g.c_out;
  const int64_t hi = l.transposed ? g.h_out : g.h, ho = l.transposed ? g.h : g.h_out;
  return std::string(l.transposed ? "convT " : "conv ") + std::to_string(ci) + "->" +
         std::to_string(co) + " k" + std::to_string(g.k) + "s" + std::to_string(g.stride) + " " +
         std::to_string(hi) + "->" + std::to_string(ho);
}

// Our kernel `variant` (or cuDNN: kCudnnFp32, kCudnnTf32) on one pass of the layer.
void bench_pass(benchmark::State& state, const Layer& l, Pass layer_pass, int variant) {
  try {
    const Pass p = g_pass(l, layer_pass);
    LayerData& d = data_of(l);
    double cudnn_ms = make_reference(l, p, d);  // FP32 reference output in d.ref
    [[maybe_unused]] const bool tf32 = variant == kCudnnTf32 || variant == gan::kernels::cuda::kConvVariantTf32;
#if GAN_HAS_CUDNN
    if (tf32) cudnn_ms = cudnn_op(l, p, d, /*tf32=*/true).ms;  // compare like with like
#endif
    auto run = [&] {
#if GAN_HAS_CUDNN
      if (variant < 0) return run_cudnn(cudnn_op(l, p, d, variant == kCudnnTf32), p, d, d.out.p);
#endif
      run_ours(l, p, variant, d, d.out.p);
    };
    cudaEvent_t a, b;
    BENCH_CUDA(cudaEventCreate(&a));
    BENCH_CUDA(cudaEventCreate(&b));
    run();  // warm-up (and the output compared below)
    double total_s = 0;
    for (auto _ : state) {
      BENCH_CUDA(cudaEventRecord(a, gan::kernels::cuda::stream()));
      run();
      BENCH_CUDA(cudaEventRecord(b, gan::kernels::cuda::stream()));
      BENCH_CUDA(cudaEventSynchronize(b));
      float ms = 0;
      BENCH_CUDA(cudaEventElapsedTime(&ms, a, b));
      state.SetIterationTime(ms * 1e-3);
      total_s += ms * 1e-3;
    }
    BENCH_CUDA(cudaEventDestroy(a));
    BENCH_CUDA(cudaEventDestroy(b));
    const size_t count = d.out_count(p);
    std::vector<float> out = d.out.to_host(), ref = d.ref.to_host();
    out.resize(count);
    ref.resize(count);
    const double gflops = flops(l.g) * double(state.iterations()) / total_s * 1e-9;
    state.counters["GFLOP/s"] = gflops;
    state.counters["max_rel_err"] = max_rel_error(out, ref);
    if (cudnn_ms > 0) state.counters["vs_cudnn"] = cudnn_ms * 1e-3 * double(state.iterations()) / total_s;
    state.SetLabel(describe(l));
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

}  // namespace

int main(int argc, char** argv) {
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::fprintf(stderr, "bench_conv_cuda: no CUDA device\n");
    return 1;
  }
  static const std::vector<Layer> all = layers();
  for (const Layer& l : all)
    for (Pass p : {Pass::forward, Pass::backward_data, Pass::backward_weight}) {
      std::vector<int> variants;
#if GAN_HAS_CUDNN
      variants.push_back(kCudnnFp32);
      variants.push_back(kCudnnTf32);
#endif
      for (int v = 0; v < gan::kernels::cuda::kConvVariants; ++v) variants.push_back(v);
      for (int v : variants) {
        const std::string name = l.net + "." + l.name + "/" + pass_name(p) + "/" +
                                 (v == kCudnnFp32   ? std::string("cudnn")
                                  : v == kCudnnTf32 ? std::string("cudnn_tf32")
                                                    : "v" + std::to_string(v));
        benchmark::RegisterBenchmark(name.c_str(), [&l, p, v](benchmark::State& st) {
          bench_pass(st, l, p, v);
        })->UseManualTime()->Unit(benchmark::kMicrosecond)->MinTime(0.05);
      }
    }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
