// Tensor: creation, views, copies, RNG determinism, error messages.
#include <catch2/catch.hpp>
#include <cmath>

#include "core/ops.h"
#include "core/device.h"
#include "core/rng.h"
#include "core/tensor.h"

using namespace gan;

TEST_CASE("tensor creation fills and reports shape, dtype, device", "[tensor]") {
  Tensor z = Tensor::zeros({2, 3, 4, 5});
  CHECK(z.numel() == 120);
  CHECK(z.ndim() == 4);
  CHECK(z.size(1) == 3);
  CHECK(z.size(-1) == 5);
  CHECK(z.dtype() == DType::f32);
  CHECK(z.device() == Device::cpu);
  for (float v : z.to_vector<float>()) CHECK(v == 0.0f);
  Tensor f = Tensor::full({7}, 2.5, DType::f64);
  for (double v : f.to_vector<double>()) CHECK(v == 2.5);
  CHECK(Tensor::scalar(3.0).item() == 3.0);
  CHECK(Tensor::ones({3, 1}).to_vector<float>() == std::vector<float>{1, 1, 1});
  std::vector<float> buf{1, 2, 3, 4, 5, 6};
  Tensor b = Tensor::from_vector(buf, {2, 3});
  CHECK(b.to_vector<float>() == buf);
  CHECK_THROWS_WITH(Tensor::from_vector(buf, {4, 2}), Catch::Contains("6 values") && Catch::Contains("[4, 2]"));
  CHECK_THROWS_AS(Tensor::zeros({1, 2, 3, 4, 5}), std::invalid_argument);
}

TEST_CASE("tensor data pointer checks the dtype", "[tensor]") {
  Tensor t = Tensor::zeros({3}, DType::f64);
  CHECK_NOTHROW(t.data<double>());
  CHECK_THROWS_WITH(t.data<float>(), Catch::Contains("f64") && Catch::Contains("f32"));
}

TEST_CASE("random tensors are reproducible for a seed and follow their distribution", "[tensor][rng]") {
  Rng g1(42), g2(42), g3(43);
  auto a = Tensor::randn({10000}, g1).to_vector<double>();
  auto b = Tensor::randn({10000}, g2).to_vector<double>();
  auto c = Tensor::randn({10000}, g3).to_vector<double>();
  CHECK(a == b);
  CHECK(a != c);
  double mean = 0, var = 0;
  for (double v : a) mean += v;
  mean /= a.size();
  for (double v : a) var += (v - mean) * (v - mean);
  var /= a.size();
  CHECK(std::fabs(mean) < 0.05);
  CHECK(std::fabs(var - 1.0) < 0.05);
  // Successive draws from one generator differ (a new stream each).
  CHECK(Tensor::randn({100}, g1).to_vector<double>() != Tensor::randn({100}, g1).to_vector<double>());

  Rng gu(7);
  auto u = Tensor::uniform({10000}, gu, -2.0, 3.0).to_vector<double>();
  double lo = 1e9, hi = -1e9, um = 0;
  for (double v : u) { lo = std::min(lo, v); hi = std::max(hi, v); um += v; }
  CHECK(lo >= -2.0);
  CHECK(hi < 3.0);
  CHECK(std::fabs(um / u.size() - 0.5) < 0.075);  // 5 standard errors of the mean (0.0144)
  auto m = Tensor::bernoulli({10000}, gu, 0.3).to_vector<double>();
  double ones = 0;
  for (double v : m) { CHECK((v == 0.0 || v == 1.0)); ones += v; }
  CHECK(std::fabs(ones / m.size() - 0.3) < 0.02);
}

TEST_CASE("reshape and slice_batch are views sharing storage", "[tensor]") {
  Tensor x = Tensor::from_vector(std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, {3, 2, 2});
  Tensor r = x.reshape({2, 6});
  CHECK(r.same_storage(x));
  CHECK(r.shape() == Shape{2, 6});
  Tensor s = x.slice_batch(1, 2);
  CHECK(s.same_storage(x));
  CHECK(s.to_vector<float>() == std::vector<float>{4, 5, 6, 7, 8, 9, 10, 11});
  s.fill_(-1.0);
  CHECK(x.to_vector<float>()[3] == 3.0f);
  CHECK(x.to_vector<float>()[4] == -1.0f);
  CHECK_THROWS_WITH(x.reshape({5}), Catch::Contains("reshape") && Catch::Contains("[3, 2, 2]"));
  CHECK_THROWS_WITH(x.slice_batch(2, 2), Catch::Contains("slice_batch"));
}

TEST_CASE("clone copies, detach shares, dtype casts round-trip", "[tensor]") {
  Rng g(1);
  Tensor x = Tensor::randn({2, 3}, g);
  Tensor c = x.clone();
  CHECK_FALSE(c.same_storage(x));
  CHECK(c.to_vector<float>() == x.to_vector<float>());
  Tensor d = x.detach();
  CHECK(d.same_storage(x));
  Tensor x64 = x.to(DType::f64);
  CHECK(x64.dtype() == DType::f64);
  CHECK(x64.to(DType::f32).to_vector<float>() == x.to_vector<float>());
}

TEST_CASE("the cuda device is refused clearly when the build or machine has none", "[tensor]") {
  if (!device::cuda_built()) {
    CHECK_THROWS_WITH(Tensor::zeros({2}, DType::f32, Device::cuda), Catch::Contains("CUDA"));
  } else {
    CHECK_THROWS_WITH(Tensor::zeros({2}, DType::f64, Device::cuda), Catch::Contains("f32"));
  }
}
