// Every variant of every convolution kernel (kernels/cuda/conv2d.cu) against the CPU kernels
// (kernels/cpu/conv2d.h, conv_transpose2d.h, computed in float64), called directly on device
// buffers that are filled with NaN first: an output element a kernel forgets stays NaN and fails.
// The shapes are small for the emulator but larger than the 128x128 tile in every GEMM dimension
// of some pass, odd everywhere, with every kernel size, stride and padding the models use.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <cstring>
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
using kernels::ConvGeometry;

namespace {

// A device copy of float values; `poisoned` makes an output buffer of NaNs.
struct DeviceBuffer {
  float* p = nullptr;
  size_t n = 0;
  explicit DeviceBuffer(const std::vector<float>& v) : n(v.size()) {
    p = static_cast<float*>(kernels::cuda::device_malloc(n * sizeof(float)));
    kernels::cuda::memcpy_h2d(p, v.data(), n * sizeof(float));
  }
  static DeviceBuffer poisoned(size_t n) {
    return DeviceBuffer(std::vector<float>(n, std::numeric_limits<float>::quiet_NaN()));
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& o) noexcept : p(o.p), n(o.n) { o.p = nullptr; }
  ~DeviceBuffer() {
    if (p) kernels::cuda::device_free(p);
  }
  std::vector<double> to_host() const {
    std::vector<float> h(n);
    kernels::cuda::memcpy_d2h(h.data(), p, n * sizeof(float));
    return std::vector<double>(h.begin(), h.end());
  }
};

std::vector<float> random_values(int64_t n, uint64_t seed) {
  Rng g(seed);
  return Tensor::uniform(Shape{n}, g, -1.0, 1.0).to_vector<float>();
}
std::vector<double> widen(const std::vector<float>& v) { return {v.begin(), v.end()}; }

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

std::vector<double> absolute(const std::vector<double>& v) {
  std::vector<double> r(v.size());
  for (size_t i = 0; i < v.size(); ++i) r[i] = std::fabs(v[i]);
  return r;
}

// float -> TF32 as cvt.rna.tf32.f32 (what wmma::__float_to_tf32 compiles to): round to nearest on
// the 13 dropped mantissa bits, ties away from zero. Finite inputs only.
float tf32_round(float v) {
  uint32_t b;
  std::memcpy(&b, &v, 4);
  b = (b + 0x1000u) & 0xffffe000u;
  std::memcpy(&v, &b, 4);
  return v;
}
std::vector<double> tf32_rounded(const std::vector<float>& v) {
  std::vector<double> r(v.size());
  for (size_t i = 0; i < v.size(); ++i) r[i] = tf32_round(v[i]);
  return r;
}

// The accuracy of the TF32 variant (docs/kernels.md "Tolerance"). An output is c = sum_k a_k b_k
// (+ bias) over K terms. Rounding an operand to TF32 (10 mantissa bits, to nearest) changes it by
// at most 2^-11 of itself, so a product by at most (2 * 2^-11 + 2^-22) |a b| <= 2^-10 (1 + 2^-12)
// |a b|; the FP32 accumulation adds at most (K + 1) roundings of 2^-24 relative each (2^-23 if
// the tensor core truncates its adds) of the running sum, itself <= S = sum |a_k| |b_k| + |bias|.
// So, per element, with S computed by the CPU kernels on |a| and |b|:
//   |ours - exact|      <= (2^-10 (1 + 2^-12) + (K + 2) 2^-23) S    (the TF32 bound), and
//   |ours - exact_tf32| <= (K + 2) 2^-23 S                          (accumulation only),
// where exact_tf32 is the float64 result on operands rounded to TF32 first: the second check pins
// the rounding itself (a kernel that truncated, or forgot to round, misses it by ~2^-11 S).
struct Tf32Check {
  const char* what;
  const std::vector<double>& ours;
  const std::vector<double>& exact;       // float64 on the float operands
  const std::vector<double>& exact_tf32;  // float64 on TF32-rounded operands
  const std::vector<double>& abs_sum;     // S per element
  int64_t K;
};
void check_tf32(const Tf32Check& c) {
  REQUIRE(c.ours.size() == c.exact.size());
  const double acc = double(c.K + 2) * std::ldexp(1.0, -23);
  const double tf32 = std::ldexp(1.0, -10) * (1.0 + std::ldexp(1.0, -12)) + acc;
  size_t worst = 0, worst_tight = 0;
  double worst_ratio = 0, worst_tight_ratio = 0;
  for (size_t i = 0; i < c.ours.size(); ++i) {
    const double s = c.abs_sum[i] > 0 ? c.abs_sum[i] : 1e-30;
    const double r = std::fabs(c.ours[i] - c.exact[i]) / (tf32 * s);
    const double rt = std::fabs(c.ours[i] - c.exact_tf32[i]) / (acc * s);
    if (!(r <= worst_ratio)) worst_ratio = r, worst = i;  // NaN counts as the worst
    if (!(rt <= worst_tight_ratio)) worst_tight_ratio = rt, worst_tight = i;
  }
  INFO(c.what << ": K " << c.K << ", worst element " << worst << " ours " << c.ours[worst]
              << " exact " << c.exact[worst] << " S " << c.abs_sum[worst] << "; worst against "
              << "the TF32-operand result: element " << worst_tight << " ours "
              << c.ours[worst_tight] << " exact_tf32 " << c.exact_tf32[worst_tight]);
  CHECK(worst_ratio <= 1.0);        // within the TF32 bound
  CHECK(worst_tight_ratio <= 1.0);  // and it is TF32 rounding, not something else
}

// Convolution geometries: (n, c_in, h, w, c_out, k, stride, pad).
std::vector<ConvGeometry> conv_geometries() {
  using kernels::make_conv_geometry;
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
    const ConvGeometry& s = g;
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

    for (int v = 0; v < kernels::cuda::kConvVariants; ++v) {
      if (v == kernels::cuda::kConvVariantTf32) continue;  // its own test below
      INFO(describe(g) << ", variant " << v);
      DeviceBuffer y = DeviceBuffer::poisoned(d.gy.size());
      kernels::cuda::conv2d_forward(x.p, w.p, bias.p, y.p, s, v);
      CHECK(test::rel_l2(y.to_host(), y_ref) < kTolerance);

      DeviceBuffer dx = DeviceBuffer::poisoned(d.x.size());
      kernels::cuda::conv2d_backward_data(gy.p, w.p, nullptr, dx.p, s, v);
      CHECK(test::rel_l2(dx.to_host(), dx_ref) < kTolerance);
      DeviceBuffer dxb = DeviceBuffer::poisoned(d.x.size());
      kernels::cuda::conv2d_backward_data(gy.p, w.p, bias_in.p, dxb.p, s, v);
      CHECK(test::rel_l2(dxb.to_host(), dx_bias_ref) < kTolerance);

      DeviceBuffer dw = DeviceBuffer::poisoned(d.w.size());
      kernels::cuda::conv2d_backward_weight(x.p, gy.p, dw.p, s, v);
      const std::vector<double> dw_dev = dw.to_host();
      CHECK(test::rel_l2(dw_dev, dw_ref) < kTolerance);
      // The split weight gradient sums its partials in a fixed order: the same bits every run.
      DeviceBuffer dw2 = DeviceBuffer::poisoned(d.w.size());
      kernels::cuda::conv2d_backward_weight(x.p, gy.p, dw2.p, s, v);
      CHECK(dw2.to_host() == dw_dev);
    }

    std::vector<double> db_ref(size_t(g.c_out), 0.0);
    kernels::cpu::channel_sum<double>(gy64.data(), db_ref.data(), g.n, g.c_out, g.out_plane());
    DeviceBuffer db = DeviceBuffer::poisoned(size_t(g.c_out));
    kernels::cuda::channel_sum(gy.p, db.p, g.n, g.c_out, g.out_plane());
    CHECK(test::rel_l2(db.to_host(), db_ref) < kTolerance);
  }
}

TEST_CASE("conv_transpose2d kernels: every variant matches the cpu kernels", "[cuda][conv_transpose2d]") {
  test::require_cuda_device_or_skip();
  using kernels::make_conv_transpose_geometry;
  // (n, c_in, h, w, c_out, k, stride, pad, output_padding) of the transposed convolution.
  const std::vector<ConvGeometry> geometries = {
      make_conv_transpose_geometry(2, 133, 5, 6, 9, 4, 2, 1, 0),  // U-Net up: 133 -> 9, 10x12
      make_conv_transpose_geometry(1, 7, 9, 8, 130, 3, 2, 1, 1),  // ResNet up, output_padding 1
      make_conv_transpose_geometry(2, 5, 6, 5, 3, 3, 1, 1, 0),    // stride 1
  };
  uint64_t seed = 500;
  for (const ConvGeometry& t : geometries) {
    const ConvGeometry g = kernels::inverse_convolution(t);  // sizes the buffers below
    // In g's terms the transposed convolution's input x is [n, c_out, h_out, w_out] and its
    // output y is [n, c_in, h, w].
    const ConvData d(g, seed += 10);
    const std::vector<float>& xt = d.gy;  // the transposed convolution's input
    const std::vector<float>& gyt = d.x;  // and the gradient of its output
    const ConvGeometry& s = t;
    const DeviceBuffer x(xt), w(d.w), gy(gyt), bias(d.bias_in);
    const auto x64 = widen(xt), w64 = widen(d.w), gy64 = widen(gyt), b64 = widen(d.bias_in);
    std::vector<double> y_ref(gyt.size()), dx_ref(xt.size()), dw_ref(d.w.size());
    kernels::cpu::conv_transpose2d_forward<double>(x64.data(), w64.data(), b64.data(), y_ref.data(), t);
    kernels::cpu::conv_transpose2d_backward_data<double>(gy64.data(), w64.data(), dx_ref.data(), t);
    kernels::cpu::conv_transpose2d_backward_weight<double>(x64.data(), gy64.data(), dw_ref.data(), t);

    for (int v = 0; v < kernels::cuda::kConvVariants; ++v) {
      if (v == kernels::cuda::kConvVariantTf32) continue;  // its own test below
      INFO("transposed " << describe(g) << ", variant " << v);
      DeviceBuffer y = DeviceBuffer::poisoned(gyt.size());
      kernels::cuda::conv_transpose2d_forward(x.p, w.p, bias.p, y.p, s, v);
      CHECK(test::rel_l2(y.to_host(), y_ref) < kTolerance);
      DeviceBuffer dx = DeviceBuffer::poisoned(xt.size());
      kernels::cuda::conv_transpose2d_backward_data(gy.p, w.p, dx.p, s, v);
      CHECK(test::rel_l2(dx.to_host(), dx_ref) < kTolerance);
      DeviceBuffer dw = DeviceBuffer::poisoned(d.w.size());
      kernels::cuda::conv_transpose2d_backward_weight(x.p, gy.p, dw.p, s, v);
      CHECK(test::rel_l2(dw.to_host(), dw_ref) < kTolerance);
    }
  }
}

// The three passes of a convolution on the TF32 variant, against float64 on the float operands
// (the TF32 bound) and on the TF32-rounded operands (accumulation only); see check_tf32.
TEST_CASE("conv2d kernels: the TF32 variant is within its rounding bound", "[cuda][conv2d][tf32]") {
  test::require_cuda_device_or_skip();
  const int v = kernels::cuda::kConvVariantTf32;
  uint64_t seed = 100;
  for (const ConvGeometry& g : conv_geometries()) {
    const ConvData d(g, seed += 10);
    const ConvGeometry& s = g;
    const DeviceBuffer x(d.x), w(d.w), gy(d.gy), bias(d.bias), bias_in(d.bias_in);
    const auto x64 = widen(d.x), w64 = widen(d.w), gy64 = widen(d.gy), b64 = widen(d.bias),
               bin64 = widen(d.bias_in);
    const auto xt = tf32_rounded(d.x), wt = tf32_rounded(d.w), gyt = tf32_rounded(d.gy);
    const auto xa = absolute(x64), wa = absolute(w64), gya = absolute(gy64), ba = absolute(b64),
               bina = absolute(bin64);
    using namespace kernels::cpu;
    const size_t ny = d.gy.size(), nx = d.x.size(), nw = d.w.size();
    // y: exact, on TF32 operands (the bias is added in FP32, not rounded), and S.
    std::vector<double> y_ref(ny), y_t(ny), y_s(ny);
    conv2d_forward<double>(x64.data(), w64.data(), b64.data(), y_ref.data(), g);
    conv2d_forward<double>(xt.data(), wt.data(), b64.data(), y_t.data(), g);
    conv2d_forward<double>(xa.data(), wa.data(), ba.data(), y_s.data(), g);
    // dx plus a per-channel bias.
    std::vector<double> dx_ref(nx), dx_t(nx), dx_s(nx);
    conv2d_backward_data<double>(gy64.data(), w64.data(), dx_ref.data(), g);
    conv2d_backward_data<double>(gyt.data(), wt.data(), dx_t.data(), g);
    conv2d_backward_data<double>(gya.data(), wa.data(), dx_s.data(), g);
    for (size_t i = 0; i < nx; ++i) {
      const size_t c = (i / size_t(g.h * g.w)) % size_t(g.c_in);
      dx_ref[i] += bin64[c];
      dx_t[i] += bin64[c];
      dx_s[i] += bina[c];
    }
    std::vector<double> dw_ref(nw), dw_t(nw), dw_s(nw);
    conv2d_backward_weight<double>(x64.data(), gy64.data(), dw_ref.data(), g);
    conv2d_backward_weight<double>(xt.data(), gyt.data(), dw_t.data(), g);
    conv2d_backward_weight<double>(xa.data(), gya.data(), dw_s.data(), g);

    INFO(describe(g));
    DeviceBuffer y = DeviceBuffer::poisoned(ny);
    kernels::cuda::conv2d_forward(x.p, w.p, bias.p, y.p, s, v);
    check_tf32({"forward", y.to_host(), y_ref, y_t, y_s, g.c_in * g.k * g.k});
    DeviceBuffer dx = DeviceBuffer::poisoned(nx);
    kernels::cuda::conv2d_backward_data(gy.p, w.p, bias_in.p, dx.p, s, v);
    check_tf32({"data gradient", dx.to_host(), dx_ref, dx_t, dx_s, g.c_out * g.k * g.k});
    DeviceBuffer dw = DeviceBuffer::poisoned(nw);
    kernels::cuda::conv2d_backward_weight(x.p, gy.p, dw.p, s, v);
    const std::vector<double> dw_dev = dw.to_host();
    check_tf32({"weight gradient", dw_dev, dw_ref, dw_t, dw_s, g.n * g.h_out * g.w_out});
    DeviceBuffer dw2 = DeviceBuffer::poisoned(nw);
    kernels::cuda::conv2d_backward_weight(x.p, gy.p, dw2.p, s, v);
    CHECK(dw2.to_host() == dw_dev);  // deterministic as the FP32 variants
  }
}

TEST_CASE("conv_transpose2d kernels: the TF32 variant is within its rounding bound",
          "[cuda][conv_transpose2d][tf32]") {
  test::require_cuda_device_or_skip();
  using namespace kernels::cpu;
  using kernels::make_conv_transpose_geometry;
  const std::vector<ConvGeometry> geometries = {
      make_conv_transpose_geometry(2, 133, 5, 6, 9, 4, 2, 1, 0),
      make_conv_transpose_geometry(1, 7, 9, 8, 130, 3, 2, 1, 1),
  };
  const int v = kernels::cuda::kConvVariantTf32;
  uint64_t seed = 700;
  for (const ConvGeometry& t : geometries) {
    const ConvGeometry g = kernels::inverse_convolution(t);  // sizes the buffers below
    const ConvData d(g, seed += 10);
    const std::vector<float>& xf = d.gy;  // the transposed convolution's input
    const std::vector<float>& gyf = d.x;  // and the gradient of its output
    const ConvGeometry& s = t;
    const DeviceBuffer x(xf), w(d.w), gy(gyf), bias(d.bias_in);
    const auto x64 = widen(xf), w64 = widen(d.w), gy64 = widen(gyf), b64 = widen(d.bias_in);
    const auto xt = tf32_rounded(xf), wt = tf32_rounded(d.w), gyt = tf32_rounded(gyf);
    const auto xa = absolute(x64), wa = absolute(w64), gya = absolute(gy64), ba = absolute(b64);
    const size_t ny = gyf.size(), nx = xf.size(), nw = d.w.size();
    std::vector<double> y_ref(ny), y_t(ny), y_s(ny), dx_ref(nx), dx_t(nx), dx_s(nx), dw_ref(nw),
        dw_t(nw), dw_s(nw);
    conv_transpose2d_forward<double>(x64.data(), w64.data(), b64.data(), y_ref.data(), t);
    conv_transpose2d_forward<double>(xt.data(), wt.data(), b64.data(), y_t.data(), t);
    conv_transpose2d_forward<double>(xa.data(), wa.data(), ba.data(), y_s.data(), t);
    conv_transpose2d_backward_data<double>(gy64.data(), w64.data(), dx_ref.data(), t);
    conv_transpose2d_backward_data<double>(gyt.data(), wt.data(), dx_t.data(), t);
    conv_transpose2d_backward_data<double>(gya.data(), wa.data(), dx_s.data(), t);
    conv_transpose2d_backward_weight<double>(x64.data(), gy64.data(), dw_ref.data(), t);
    conv_transpose2d_backward_weight<double>(xt.data(), gyt.data(), dw_t.data(), t);
    conv_transpose2d_backward_weight<double>(xa.data(), gya.data(), dw_s.data(), t);

    INFO("transposed " << describe(g));
    DeviceBuffer y = DeviceBuffer::poisoned(ny);
    kernels::cuda::conv_transpose2d_forward(x.p, w.p, bias.p, y.p, s, v);
    check_tf32({"forward", y.to_host(), y_ref, y_t, y_s, g.c_out * g.k * g.k});
    DeviceBuffer dx = DeviceBuffer::poisoned(nx);
    kernels::cuda::conv_transpose2d_backward_data(gy.p, w.p, dx.p, s, v);
    check_tf32({"data gradient", dx.to_host(), dx_ref, dx_t, dx_s, g.c_in * g.k * g.k});
    DeviceBuffer dw = DeviceBuffer::poisoned(nw);
    kernels::cuda::conv_transpose2d_backward_weight(x.p, gy.p, dw.p, s, v);
    check_tf32({"weight gradient", dw.to_host(), dw_ref, dw_t, dw_s, g.n * g.h_out * g.w_out});
  }
}

TEST_CASE("conv math: tf32 routes the engine's convolutions to the TF32 variant", "[cuda][conv2d][tf32]") {
  REQUIRE(kernels::cuda::conv_math() == kernels::cuda::ConvMath::fp32);  // the default
  CHECK(kernels::cuda::conv_variant_for(256, 1 << 16) != kernels::cuda::kConvVariantTf32);
  kernels::cuda::set_conv_math(kernels::cuda::ConvMath::tf32);
  CHECK(kernels::cuda::conv_variant_for(256, 1 << 16) == kernels::cuda::kConvVariantTf32);
  CHECK(kernels::cuda::conv_variant_for(64, 16) == kernels::cuda::kConvVariantTf32);
  CHECK(kernels::cuda::conv_variant_for(1, 1 << 16) != kernels::cuda::kConvVariantTf32);  // 1-channel layers stay FP32
  kernels::cuda::set_conv_math(kernels::cuda::ConvMath::fp32);
  CHECK(kernels::cuda::conv_variant_for(256, 1 << 16) != kernels::cuda::kConvVariantTf32);
}

TEST_CASE("conv2d kernels reject an unknown variant", "[cuda][conv2d]") {
  test::require_cuda_device_or_skip();
  const ConvGeometry g = kernels::make_conv_geometry(1, 2, 5, 5, 3, 3, 1, 1);
  const ConvData d(g, 9);
  const DeviceBuffer x(d.x), w(d.w);
  DeviceBuffer y = DeviceBuffer::poisoned(d.gy.size());
  REQUIRE_THROWS_WITH(kernels::cuda::conv2d_forward(x.p, w.p, nullptr, y.p, g, kernels::cuda::kConvVariants),
                      Catch::Contains("variant"));
}

#endif  // GAN_HAS_CUDA
