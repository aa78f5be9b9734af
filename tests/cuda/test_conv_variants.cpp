// Every variant of every convolution kernel (kernels/cuda/conv2d.cu) against the CPU kernels
// (kernels/cpu/conv2d.h, conv_transpose2d.h, computed in float64), called directly on device
// buffers that are filled with NaN first: an output element a kernel forgets stays NaN and fails.
// The shapes are small for the emulator but larger than the 128x128 tile in every GEMM dimension
// of some pass, odd everywhere, with every kernel size, stride and padding the models use.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/rng.h"
#include "core/tensor.h"
#include "kernels/cpu/conv_transpose2d.h"
#include "tests/ops/op_harness.h"

#if GAN_HAS_CUDA
#include "kernels/cuda/conv_transpose2d.h"
#include "kernels/cuda/runtime.h"

using namespace gan;
using kernels::cpu::ConvGeometry;

namespace {

// A device copy of float values; `poisoned` makes an output buffer of NaNs.
struct DeviceBuffer {
  float* p = nullptr;
  size_t n = 0;
  explicit DeviceBuffer(const std::vector<float>& v) : n(v.size()) {
    p = static_cast<float*>(cuda::device_malloc(n * sizeof(float)));
    cuda::memcpy_h2d(p, v.data(), n * sizeof(float));
  }
  static DeviceBuffer poisoned(size_t n) {
    return DeviceBuffer(std::vector<float>(n, std::numeric_limits<float>::quiet_NaN()));
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& o) noexcept : p(o.p), n(o.n) { o.p = nullptr; }
  ~DeviceBuffer() {
    if (p) cuda::device_free(p);
  }
  std::vector<double> to_host() const {
    std::vector<float> h(n);
    cuda::memcpy_d2h(h.data(), p, n * sizeof(float));
    return std::vector<double>(h.begin(), h.end());
  }
};

std::vector<float> random_values(int64_t n, uint64_t seed) {
  Generator g(seed);
  return Tensor::uniform(Shape{n}, g, -1.0, 1.0).to_vector<float>();
}
std::vector<double> widen(const std::vector<float>& v) { return {v.begin(), v.end()}; }

cuda::ConvShape shape_of(const ConvGeometry& g) {
  return {g.n, g.c_in, g.h, g.w, g.c_out, g.k, g.stride, g.pad, g.h_out, g.w_out};
}

std::string describe(const ConvGeometry& g) {
  return "n" + std::to_string(g.n) + " " + std::to_string(g.c_in) + "->" +
         std::to_string(g.c_out) + " k" + std::to_string(g.k) + " s" + std::to_string(g.stride) +
         " p" + std::to_string(g.pad) + " " + std::to_string(g.h) + "x" + std::to_string(g.w) +
         " -> " + std::to_string(g.h_out) + "x" + std::to_string(g.w_out);
}

// The tensors of one geometry: x, w, gy, bias (c_out) and bias_in (c_in), random.
struct ConvData {
  ConvGeometry g;
  std::vector<float> x, w, gy, bias, bias_in;
  explicit ConvData(const ConvGeometry& geo, uint64_t seed) : g(geo) {
    x = random_values(g.n * g.c_in * g.h * g.w, seed);
    w = random_values(g.c_out * g.c_in * g.k * g.k, seed + 1);
    gy = random_values(g.n * g.c_out * g.h_out * g.w_out, seed + 2);
    bias = random_values(g.c_out, seed + 3);
    bias_in = random_values(g.c_in, seed + 4);
  }
};

constexpr double kTolerance = 1e-5;

// Convolution geometries: (n, c_in, h, w, c_out, k, stride, pad).
std::vector<ConvGeometry> conv_geometries() {
  using kernels::cpu::make_conv_geometry;
  return {
      make_conv_geometry(2, 9, 19, 17, 136, 4, 2, 1),  // forward, dw: M 136, N 144, K 144
      make_conv_geometry(2, 131, 12, 11, 17, 3, 1, 1),  // dx: M 131, N 264, K 153
      make_conv_geometry(1, 5, 9, 7, 7, 7, 1, 3),       // 7x7 p3
      make_conv_geometry(3, 3, 7, 6, 4, 3, 2, 1),       // 3x3 s2, odd phases
      make_conv_geometry(2, 6, 9, 10, 5, 4, 1, 1),      // PatchGAN 4x4 s1
      make_conv_geometry(1, 4, 5, 6, 3, 4, 2, 3),       // padding larger than the stride
  };
}

}  // namespace

TEST_CASE("conv2d kernels: every variant matches the cpu kernels", "[cuda][conv2d]") {
  test::require_cuda_device_or_skip();
  uint64_t seed = 100;
  for (const ConvGeometry& g : conv_geometries()) {
    const ConvData d(g, seed += 10);
    const cuda::ConvShape s = shape_of(g);
    const DeviceBuffer x(d.x), w(d.w), gy(d.gy), bias(d.bias), bias_in(d.bias_in);
    const auto x64 = widen(d.x), w64 = widen(d.w), gy64 = widen(d.gy), b64 = widen(d.bias),
               bin64 = widen(d.bias_in);
    std::vector<double> y_ref(d.gy.size()), dx_ref(d.x.size()), dw_ref(d.w.size());
    kernels::cpu::conv2d_forward<double>(x64.data(), w64.data(), b64.data(), y_ref.data(), g);
    kernels::cpu::conv2d_backward_data<double>(gy64.data(), w64.data(), dx_ref.data(), g);
    kernels::cpu::conv2d_backward_weight<double>(x64.data(), gy64.data(), dw_ref.data(), g);
    std::vector<double> dx_bias_ref = dx_ref;  // the data gradient plus a per-channel bias
    for (size_t i = 0; i < dx_bias_ref.size(); ++i)
      dx_bias_ref[i] += bin64[(i / size_t(g.h * g.w)) % size_t(g.c_in)];

    for (int v = 0; v < cuda::kConvVariants; ++v) {
      INFO(describe(g) << ", variant " << v);
      DeviceBuffer y = DeviceBuffer::poisoned(d.gy.size());
      cuda::conv2d_forward(x.p, w.p, bias.p, y.p, s, v);
      CHECK(test::rel_l2(y.to_host(), y_ref) < kTolerance);

      DeviceBuffer dx = DeviceBuffer::poisoned(d.x.size());
      cuda::conv2d_backward_data(gy.p, w.p, nullptr, dx.p, s, v);
      CHECK(test::rel_l2(dx.to_host(), dx_ref) < kTolerance);
      DeviceBuffer dxb = DeviceBuffer::poisoned(d.x.size());
      cuda::conv2d_backward_data(gy.p, w.p, bias_in.p, dxb.p, s, v);
      CHECK(test::rel_l2(dxb.to_host(), dx_bias_ref) < kTolerance);

      DeviceBuffer dw = DeviceBuffer::poisoned(d.w.size());
      cuda::conv2d_backward_weight(x.p, gy.p, dw.p, s, v);
      const std::vector<double> dw_dev = dw.to_host();
      CHECK(test::rel_l2(dw_dev, dw_ref) < kTolerance);
      // The split weight gradient sums its partials in a fixed order: the same bits every run.
      DeviceBuffer dw2 = DeviceBuffer::poisoned(d.w.size());
      cuda::conv2d_backward_weight(x.p, gy.p, dw2.p, s, v);
      CHECK(dw2.to_host() == dw_dev);
    }

    std::vector<double> db_ref(size_t(g.c_out), 0.0);
    kernels::cpu::channel_sum<double>(gy64.data(), db_ref.data(), g.n, g.c_out, g.out_plane());
    DeviceBuffer db = DeviceBuffer::poisoned(size_t(g.c_out));
    cuda::channel_sum(gy.p, db.p, g.n, g.c_out, g.out_plane());
    CHECK(test::rel_l2(db.to_host(), db_ref) < kTolerance);
  }
}

TEST_CASE("conv_transpose2d kernels: every variant matches the cpu kernels", "[cuda][conv_transpose2d]") {
  test::require_cuda_device_or_skip();
  using kernels::cpu::transposed_conv_geometry;
  // (n, c_in, h, w, c_out, k, stride, pad, output_padding) of the transposed convolution.
  const std::vector<ConvGeometry> geometries = {
      transposed_conv_geometry(2, 133, 5, 6, 9, 4, 2, 1, 0),  // U-Net up: 133 -> 9, 10x12
      transposed_conv_geometry(1, 7, 9, 8, 130, 3, 2, 1, 1),  // ResNet up, output_padding 1
      transposed_conv_geometry(2, 5, 6, 5, 3, 3, 1, 1, 0),    // stride 1
  };
  uint64_t seed = 500;
  for (const ConvGeometry& g : geometries) {
    // In g's terms the transposed convolution's input x is [n, c_out, h_out, w_out] and its
    // output y is [n, c_in, h, w].
    const ConvData d(g, seed += 10);
    const std::vector<float>& xt = d.gy;  // the transposed convolution's input
    const std::vector<float>& gyt = d.x;  // and the gradient of its output
    const cuda::ConvShape s = shape_of(g);
    const DeviceBuffer x(xt), w(d.w), gy(gyt), bias(d.bias_in);
    const auto x64 = widen(xt), w64 = widen(d.w), gy64 = widen(gyt), b64 = widen(d.bias_in);
    std::vector<double> y_ref(gyt.size()), dx_ref(xt.size()), dw_ref(d.w.size());
    kernels::cpu::conv_transpose2d_forward<double>(x64.data(), w64.data(), b64.data(), y_ref.data(), g);
    kernels::cpu::conv_transpose2d_backward_data<double>(gy64.data(), w64.data(), dx_ref.data(), g);
    kernels::cpu::conv_transpose2d_backward_weight<double>(x64.data(), gy64.data(), dw_ref.data(), g);

    for (int v = 0; v < cuda::kConvVariants; ++v) {
      INFO("transposed " << describe(g) << ", variant " << v);
      DeviceBuffer y = DeviceBuffer::poisoned(gyt.size());
      cuda::conv_transpose2d_forward(x.p, w.p, bias.p, y.p, s, v);
      CHECK(test::rel_l2(y.to_host(), y_ref) < kTolerance);
      DeviceBuffer dx = DeviceBuffer::poisoned(xt.size());
      cuda::conv_transpose2d_backward_data(gy.p, w.p, dx.p, s, v);
      CHECK(test::rel_l2(dx.to_host(), dx_ref) < kTolerance);
      DeviceBuffer dw = DeviceBuffer::poisoned(d.w.size());
      cuda::conv_transpose2d_backward_weight(x.p, gy.p, dw.p, s, v);
      CHECK(test::rel_l2(dw.to_host(), dw_ref) < kTolerance);
    }
  }
}

TEST_CASE("conv2d kernels reject an unknown variant", "[cuda][conv2d]") {
  test::require_cuda_device_or_skip();
  const ConvGeometry g = kernels::cpu::make_conv_geometry(1, 2, 5, 5, 3, 3, 1, 1);
  const ConvData d(g, 9);
  const DeviceBuffer x(d.x), w(d.w);
  DeviceBuffer y = DeviceBuffer::poisoned(d.gy.size());
  REQUIRE_THROWS_WITH(cuda::conv2d_forward(x.p, w.p, nullptr, y.p, shape_of(g), cuda::kConvVariants),
                      Catch::Contains("variant"));
}

#endif  // GAN_HAS_CUDA
