// The cpu device's caching allocator: a steady-state CycleGAN training step asks the system for no
// new memory (every buffer comes from the cache), and the cache's bookkeeping is exact.
#include <catch2/catch.hpp>

#include "core/device.h"
#include "tests/train/tiny_model.h"
#include "train/cyclegan_step.h"

using namespace gan;
using namespace gan::train;
using gan::testing::tiny_model;

TEST_CASE("a steady-state cpu training step makes no new system allocations", "[train][memory]") {
  if (!device::cpu_caching()) {
    WARN("cpu cache off (sanitizer build or GAN_CPU_CACHE=0): nothing to check");
    return;
  }
  for (const char* gen : {"unet", "resnet"}) {
    INFO(gen);
    models::CycleGAN nets(tiny_model(gen), 1);
    CycleGANStep step(nets, StepOptions{}, nn::AdamOptions{}, 0, 1);
    Rng g(2);
    Tensor a = Tensor::uniform({1, 1, 32, 32}, g, -1, 1);
    Tensor b = Tensor::uniform({1, 1, 32, 32}, g, -1, 1);
    step.step(a, b);
    step.step(a, b);
    const device::MemoryStats warm = device::cpu_memory_stats();
    for (int i = 0; i < 3; ++i) step.step(a, b);
    const device::MemoryStats after = device::cpu_memory_stats();
    CHECK(after.device_mallocs == warm.device_mallocs);
    CHECK(after.bytes_in_use == warm.bytes_in_use);  // nothing leaks from step to step
  }
}

TEST_CASE("the cpu cache reuses a freed block of the same bin", "[train][memory]") {
  if (!device::cpu_caching()) {
    WARN("cpu cache off (sanitizer build or GAN_CPU_CACHE=0): nothing to check");
    return;
  }
  const device::MemoryStats s0 = device::cpu_memory_stats();
  const void* first = nullptr;
  {
    Tensor t = Tensor::empty(Shape{1000, 1000});  // 4 MB: bin of 4 MiB
    first = t.data<float>();
    CHECK(device::cpu_memory_stats().bytes_in_use >= s0.bytes_in_use + 4000000);
  }
  const size_t mallocs = device::cpu_memory_stats().device_mallocs;
  Tensor u = Tensor::empty(Shape{999, 1001});  // a different size in the same bin
  CHECK(u.data<float>() == first);
  CHECK(device::cpu_memory_stats().device_mallocs == mallocs);
  CHECK(device::cpu_memory_stats().bytes_cached + device::cpu_memory_stats().bytes_in_use >=
        s0.bytes_in_use + 4000000);
}
