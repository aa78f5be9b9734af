// The fused Adam step on the cuda device against the cpu: the same parameters, gradients and
// options give the same parameters and moments after several steps (float4 and scalar paths).
#include <catch2/catch.hpp>
#include <cmath>

#include "core/ops.h"
#include "core/rng.h"
#include "nn/adam.h"
#include "tests/ops/op_harness.h"

using namespace gan;

TEST_CASE("Adam step on cuda matches the cpu", "[cuda][adam]") {
  test::require_cuda_device_or_skip();
  for (int64_t n : {int64_t(64), int64_t(37)}) {  // 37: not a multiple of 4, the scalar path
    for (double wd : {0.0, 0.01}) {
      INFO("n " << n << " weight_decay " << wd);
      Rng g(21);
      Tensor p_cpu = Tensor::randn(Shape{n}, g);
      Tensor p_dev = p_cpu.to(Device::cuda).detach();
      const std::vector<double> initial = p_cpu.to_vector<double>();
      p_cpu.set_requires_grad(true);
      p_dev.set_requires_grad(true);
      nn::AdamOptions o;
      o.lr = 1e-2;
      o.weight_decay = wd;
      nn::Adam a_cpu({p_cpu}, o), a_dev({p_dev}, o);
      for (int step = 0; step < 5; ++step) {
        Tensor target = Tensor::randn(Shape{n}, g);
        // A loss with a different gradient each step: mean((p - target)^2).
        ops::mse_loss(p_cpu, target).backward();
        ops::mse_loss(p_dev, target.to(Device::cuda)).backward();
        a_cpu.step();
        a_dev.step();
        a_cpu.zero_grad();
        a_dev.zero_grad();
      }
      auto err = [](const Tensor& d, const Tensor& c) {
        return test::rel_l2(d.to_vector<double>(), c.to_vector<double>());
      };
      CHECK(err(p_dev, p_cpu) < 1e-6);
      CHECK(err(a_dev.exp_avg()[0], a_cpu.exp_avg()[0]) < 1e-5);
      CHECK(err(a_dev.exp_avg_sq()[0], a_cpu.exp_avg_sq()[0]) < 1e-5);
      // The parameters really moved (the test would pass trivially otherwise).
      CHECK(test::rel_l2(p_cpu.to_vector<double>(), initial) > 1e-3);
    }
  }
}
