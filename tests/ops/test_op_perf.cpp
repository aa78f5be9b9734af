// `test_ops "[perf]"` (hidden from the normal run): times every case of the op table
// (tests/ops/op_table.cpp) on the cpu (float32) and, when there is one, the cuda device: the
// forward alone and forward + backward, median of kRepeats runs after a warm-up. The cases are the
// tests' small shapes, so the numbers show dispatch and launch overheads and compare devices op by
// op; bench/ has the model-size benchmarks (bench_ops_cpu: memory bandwidth at the networks'
// activation shapes).
#include <algorithm>
#include <chrono>
#include <cstdio>

#include "core/autograd.h"
#include "core/device.h"
#include "tests/ops/op_harness.h"

using namespace gan;

namespace {

constexpr int kRepeats = 15;

template <class F>
double median_us(F&& run, Device d) {
  std::vector<double> us;
  run();  // warm-up: caches, allocator bins
  for (int i = 0; i < kRepeats; ++i) {
    if (d == Device::cuda) device::synchronize();
    const auto t0 = std::chrono::steady_clock::now();
    run();
    if (d == Device::cuda) device::synchronize();
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0)
                     .count());
  }
  std::sort(us.begin(), us.end());
  return us[us.size() / 2];
}

// Forward and forward + backward (0 where the case has no gradient) of one case on device d.
void time_case(const test::OpEntry& e, const test::OpCase& c, Device d) {
  std::vector<Tensor> xs = test::make_inputs(c, DType::f32, 555);
  for (Tensor& x : xs) x = x.to(d);
  const double fwd = median_us(
      [&] {
        NoGradGuard no_grad;
        c.op(xs);
      },
      d);
  double both = 0;
  if (test::has_gradient(c)) {
    for (size_t i = 0; i < xs.size(); ++i)
      if (c.inputs[i].differentiable) xs[i].set_requires_grad(true);
    both = median_us([&] { ops::sum(c.op(xs)).backward(); }, d);
  }
  std::printf("%-20s %-44s %-5s %12.1f %12.1f\n", e.op.c_str(), c.name.c_str(),
              d == Device::cuda ? "cuda" : "cpu", fwd, both);
}

}  // namespace

TEST_CASE("op table timings on each device", "[.][perf]") {
  std::vector<Device> devices{Device::cpu};
  if (device::cuda_available()) devices.push_back(Device::cuda);
  std::printf("%-20s %-44s %-5s %12s %12s\n", "op", "case", "dev", "forward us", "fwd+bwd us");
  for (const test::OpEntry& e : test::op_table())
    for (const test::OpCase& c : e.cases)
      for (Device d : devices) time_case(e, c, d);
}
