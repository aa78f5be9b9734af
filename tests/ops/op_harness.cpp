#include "tests/ops/op_harness.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "core/device.h"
#include "core/rng.h"

namespace gan::test {

double rel_l2(const std::vector<double>& a, const std::vector<double>& b) {
  REQUIRE(a.size() == b.size());
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!std::isfinite(a[i]) || !std::isfinite(b[i])) return std::numeric_limits<double>::infinity();
    num += (a[i] - b[i]) * (a[i] - b[i]);
    den += b[i] * b[i];
  }
  return std::sqrt(num) / std::max(std::sqrt(den), 1e-30);
}

std::vector<Tensor> make_inputs(const OpCase& c, DType t, uint64_t seed) {
  Rng g(seed);
  std::vector<Tensor> xs;
  for (const InputSpec& s : c.inputs) {
    Tensor x = Tensor::uniform(s.shape, g, s.lo, s.hi, DType::f64);
    if (s.min_abs > 0) {  // push values out of (-min_abs, min_abs), keeping their sign
      double* p = x.data<double>();
      for (int64_t i = 0; i < x.numel(); ++i)
        if (std::fabs(p[i]) < s.min_abs) p[i] = p[i] < 0 ? p[i] - s.min_abs : p[i] + s.min_abs;
    }
    xs.push_back(t == DType::f64 ? x : x.to(t));
  }
  return xs;
}

static std::vector<Tensor> detached_f64(const std::vector<Tensor>& xs) {
  std::vector<Tensor> r;
  for (const Tensor& x : xs) r.push_back(x.detach().to(DType::f64));
  return r;
}

void check_forward(const OpCase& c) {
  NoGradGuard ng;
  std::vector<Tensor> x64 = make_inputs(c, DType::f64, 1234);
  Tensor ref = c.reference(x64);
  Tensor y64 = c.op(x64);
  REQUIRE(y64.shape() == ref.shape());
  double e64 = rel_l2(y64.to_vector<double>(), ref.to_vector<double>());
  INFO("float64 forward rel. error " << e64);
  CHECK(e64 < 1e-12);

  std::vector<Tensor> x32;
  for (const Tensor& x : x64) x32.push_back(x.to(DType::f32));
  Tensor ref32 = c.reference(detached_f64(x32));  // reference on the float32-rounded inputs
  Tensor y32 = c.op(x32);
  REQUIRE(y32.dtype() == DType::f32);
  double e32 = rel_l2(y32.to_vector<double>(), ref32.to_vector<double>());
  INFO("float32 forward rel. error " << e32);
  CHECK(e32 < c.f32_tolerance);
}

bool has_gradient(const OpCase& c) {
  for (const InputSpec& s : c.inputs)
    if (s.differentiable) return true;
  return false;
}

void check_gradient(const OpCase& c) {
  if (!has_gradient(c)) return;
  std::vector<Tensor> xs = make_inputs(c, DType::f64, 4321);
  for (size_t i = 0; i < xs.size(); ++i)
    if (c.inputs[i].differentiable) xs[i].set_requires_grad(true);
  Tensor y = c.op(xs);
  Rng g(99);
  Tensor w = Tensor::uniform(y.shape(), g, -1.0, 1.0, DType::f64);  // loss = sum(y * w)
  Tensor loss = ops::sum(ops::mul(y, w));
  loss.backward();

  const double eps = 1e-6;
  NoGradGuard ng;
  auto f = [&] { return ops::sum(ops::mul(c.op(xs), w)).item(); };
  for (size_t i = 0; i < xs.size(); ++i) {
    if (!c.inputs[i].differentiable) continue;
    Tensor ga = xs[i].grad();
    REQUIRE(ga.defined());
    REQUIRE(ga.shape() == xs[i].shape());
    double* p = xs[i].data<double>();
    std::vector<double> numeric(static_cast<size_t>(xs[i].numel()));
    for (int64_t j = 0; j < xs[i].numel(); ++j) {
      double keep = p[j];
      p[j] = keep + eps;
      double fp = f();
      p[j] = keep - eps;
      double fm = f();
      p[j] = keep;
      numeric[j] = (fp - fm) / (2 * eps);
    }
    double e = rel_l2(ga.to_vector<double>(), numeric);
    INFO("input " << i << " " << xs[i].describe() << ": gradient rel. error " << e);
    CHECK(e < c.grad_tolerance);
  }
}

void require_cuda_device_or_skip() {
  if (!device::cuda_available()) {
    std::printf("SKIPPED: no CUDA device (%s)\n",
                device::cuda_built() ? "none found" : "build has no cuda backend");
    std::fflush(stdout);
    std::exit(77);
  }
}

void check_device(const OpCase& c) {
  device::set_poison_new_buffers(true);
  struct Restore {
    ~Restore() { device::set_poison_new_buffers(false); }
  } restore;
  for (uint64_t seed : {777u, 778u}) {  // two fresh draws: a match on one input is no accident
    std::vector<Tensor> xc = make_inputs(c, DType::f32, seed);
    std::vector<Tensor> xg;
    for (size_t i = 0; i < xc.size(); ++i) {
      xg.push_back(xc[i].to(Device::cuda));
      if (c.inputs[i].differentiable) {
        xc[i].set_requires_grad(true);
        xg[i].set_requires_grad(true);
      }
    }
    Tensor yc = c.op(xc), yg = c.op(xg);
    REQUIRE(yg.device() == Device::cuda);
    REQUIRE(yg.shape() == yc.shape());
    double ef = rel_l2(yg.to_vector<double>(), yc.to_vector<double>());
    INFO("seed " << seed << ": forward rel. error cuda vs cpu " << ef);
    CHECK(ef < 1e-5);
    if (!has_gradient(c)) continue;

    Rng g(seed + 1);
    Tensor w = Tensor::uniform(yc.shape(), g, -1.0, 1.0);
    ops::sum(ops::mul(yc, w)).backward();
    ops::sum(ops::mul(yg, w.to(Device::cuda))).backward();
    for (size_t i = 0; i < xc.size(); ++i) {
      if (!c.inputs[i].differentiable) continue;
      REQUIRE(xg[i].grad().defined());
      REQUIRE(xg[i].grad().device() == Device::cuda);
      double eg = rel_l2(xg[i].grad().to_vector<double>(), xc[i].grad().to_vector<double>());
      INFO("input " << i << ": gradient rel. error cuda vs cpu " << eg);
      CHECK(eg < 1e-5);
    }
  }
}

}  // namespace gan::test
