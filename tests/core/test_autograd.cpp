// Autograd: reuse, diamond graphs, no_grad, detach, accumulation, pruning, graph freeing.
#include <catch2/catch.hpp>

#include "core/autograd.h"
#include "core/ops.h"

using namespace gan;

namespace {
Tensor vec(std::vector<double> v) {
  Tensor t = Tensor::from_vector(v, Shape{static_cast<int64_t>(v.size())});
  t.set_requires_grad(true);
  return t;
}
}  // namespace

TEST_CASE("a tensor used twice gets the sum of both gradients", "[autograd]") {
  Tensor x = vec({1.0, -2.0, 3.0});
  Tensor y = ops::sum(ops::mul(x, x));  // d/dx sum(x^2) = 2x, x reaches mul through both inputs
  y.backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{2.0, -4.0, 6.0});
}

TEST_CASE("diamond graph: gradients meet where paths join", "[autograd]") {
  Tensor x = vec({0.5, 1.5});
  Tensor a = ops::mul(x, 3.0);       // 3x
  Tensor b = ops::add(x, 1.0);       // x + 1
  Tensor c = ops::mul(a, b);         // 3x(x+1) = 3x^2 + 3x -> 6x + 3
  ops::sum(c).backward();
  auto g = x.grad().to_vector<double>();
  CHECK(g[0] == Approx(6 * 0.5 + 3));
  CHECK(g[1] == Approx(6 * 1.5 + 3));
}

TEST_CASE("no_grad records nothing, detach cuts the graph", "[autograd]") {
  Tensor x = vec({1.0, 2.0});
  {
    NoGradGuard ng;
    Tensor y = ops::mul(x, 2.0);
    CHECK_FALSE(y.requires_grad());
    CHECK(y.grad_fn() == nullptr);
  }
  CHECK(grad_enabled());
  Tensor d = x.detach();
  CHECK_FALSE(d.requires_grad());
  Tensor y = ops::sum(ops::mul(x, d));  // gradient flows only through the first factor: d
  y.backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{1.0, 2.0});
}

TEST_CASE("gradients accumulate over two backward calls until zero_grad", "[autograd]") {
  Tensor x = vec({1.0, 2.0});
  ops::sum(ops::mul(x, 3.0)).backward();
  ops::sum(ops::mul(x, 3.0)).backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{6.0, 6.0});
  x.zero_grad();
  CHECK_FALSE(x.grad().defined());
  ops::sum(ops::mul(x, 2.0)).backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{2.0, 2.0});
}

TEST_CASE("intermediate gradients are kept only when asked", "[autograd]") {
  Tensor x = vec({1.0, 2.0});
  Tensor h = ops::mul(x, 2.0);
  Tensor k = ops::mul(x, 5.0);
  h.retain_grad();
  ops::sum(ops::add(ops::mul(h, h), k)).backward();
  CHECK(h.grad().to_vector<double>() == std::vector<double>{4.0, 8.0});  // 2h
  CHECK_FALSE(k.grad().defined());
}

TEST_CASE("the graph is freed after backward unless retained", "[autograd]") {
  Tensor x = vec({1.0, 2.0});
  Tensor y = ops::sum(ops::mul(x, x));
  y.backward();
  CHECK_THROWS_WITH(y.backward(), Catch::Contains("already freed"));
  Tensor z = ops::sum(ops::mul(x, x));
  x.zero_grad();
  z.backward(/*retain_graph=*/true);
  z.backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{4.0, 8.0});
}

TEST_CASE("backward with inputs: only those leaves get gradients", "[autograd]") {
  Tensor a = vec({1.0, 2.0});
  Tensor b = vec({3.0, 4.0});
  Tensor loss = ops::sum(ops::mul(a, b));
  BackwardOptions o;
  o.inputs = {a};
  o.retain_graph = true;
  backward(loss, o);
  CHECK(a.grad().to_vector<double>() == std::vector<double>{3.0, 4.0});
  CHECK_FALSE(b.grad().defined());
  o.inputs = {b};
  o.retain_graph = false;
  backward(loss, o);
  CHECK(b.grad().to_vector<double>() == std::vector<double>{1.0, 2.0});
}

TEST_CASE("backward is iterative: a 100000-node chain does not overflow the stack", "[autograd]") {
  Tensor x = vec({1.0});
  Tensor y = x;
  for (int i = 0; i < 100000; ++i) y = ops::add(y, 0.0);
  y.backward();
  CHECK(x.grad().item() == 1.0);
}

TEST_CASE("backward needs a scalar that requires grad", "[autograd]") {
  Tensor x = vec({1.0, 2.0});
  CHECK_THROWS_WITH(ops::mul(x, 2.0).backward(), Catch::Contains("one-element"));
  CHECK_THROWS_WITH(ops::sum(Tensor::ones({2})).backward(), Catch::Contains("does not require grad"));
}

TEST_CASE("views pass gradients back: reshape, slice_batch, clone, dtype cast", "[autograd]") {
  Tensor x = Tensor::from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, {3, 2});
  x.set_requires_grad(true);
  Tensor s = x.slice_batch(1, 2).reshape({4});               // elements 3, 4, 5, 6
  Tensor y = ops::sum(ops::mul(s.clone().to(DType::f32).to(DType::f64), s));  // sum s^2
  y.backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{0, 0, 6, 8, 10, 12});
}
