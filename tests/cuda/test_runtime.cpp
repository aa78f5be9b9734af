// The cuda device's plumbing: error checking, the caching allocator, tensor round trips between
// cpu and cuda, and kernels on unaligned views. Runs through the emulator in CI and on a GPU
// where there is one (all tagged [cuda]).
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/ops.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "tests/ops/op_harness.h"

#if GAN_HAS_CUDA
#include "core/cuda_allocator.h"
#include "kernels/cuda/runtime.h"
#endif

using namespace gan;

#if GAN_HAS_CUDA

TEST_CASE("cuda runtime: a launch with a bad block size throws with file, line and error", "[cuda][runtime]") {
  test::require_cuda_device_or_skip();
  CHECK(kernels::cuda::launch_self_test(256) == 256);  // the self-test kernel sees every thread
  CHECK(kernels::cuda::launch_self_test(1024) == 1024);
  try {
    kernels::cuda::launch_self_test(2048);  // > 1024 threads per block
    FAIL("no exception");
  } catch (const std::runtime_error& e) {
    const std::string m = e.what();
    INFO(m);
    CHECK(m.find("runtime.cu:") != std::string::npos);
    CHECK(m.find("invalid configuration argument") != std::string::npos);
  }
  CHECK(kernels::cuda::launch_self_test(64) == 64);  // the error was consumed, later launches work
}

TEST_CASE("cuda runtime: an invalid argument to a runtime call throws with file:line", "[cuda][runtime]") {
  test::require_cuda_device_or_skip();
  int host = 0;
  try {
    kernels::cuda::device_free(&host);  // not device memory
    FAIL("no exception");
  } catch (const std::runtime_error& e) {
    const std::string m = e.what();
    INFO(m);
    CHECK(m.find("runtime.cu:") != std::string::npos);
    CHECK(m.find("cudaFree") != std::string::npos);
  }
}

TEST_CASE("cuda allocator: bins, reuse, no device malloc in a steady loop, stats", "[cuda][allocator]") {
  test::require_cuda_device_or_skip();
  using device::CudaCachingAllocator;
  CHECK(CudaCachingAllocator::bin_size(1) == 512);
  CHECK(CudaCachingAllocator::bin_size(513) == 1024);
  CHECK(CudaCachingAllocator::bin_size(size_t(1) << 20) == size_t(1) << 20);
  CHECK(CudaCachingAllocator::bin_size((size_t(1) << 20) + 1) == (size_t(5) << 18));
  CHECK(CudaCachingAllocator::bin_size(size_t(3) << 21) == size_t(3) << 21);
  for (size_t b : {size_t(1000), size_t(123457), size_t(5) << 20, size_t(77) << 20}) {
    const size_t bin = CudaCachingAllocator::bin_size(b);
    CHECK(bin >= b);
    CHECK(bin < b + b / 4 + 512);  // < 25 % waste
  }

  device::empty_cuda_cache();
  const device::MemoryStats s0 = device::cuda_memory_stats();
  CHECK(s0.bytes_cached == 0);
  void* first = nullptr;
  {
    Tensor a = Tensor::zeros(Shape{1000}, DType::f32, Device::cuda);  // 4000 B -> bin 4096
    first = a.raw_data();
    const device::MemoryStats s = device::cuda_memory_stats();
    CHECK(s.bytes_in_use == s0.bytes_in_use + 4096);
    CHECK(s.device_mallocs == s0.device_mallocs + 1);
  }
  CHECK(device::cuda_memory_stats().bytes_cached == 4096);
  {
    Tensor b = Tensor::zeros(Shape{900}, DType::f32, Device::cuda);  // same bin: reused
    CHECK(b.raw_data() == first);
  }

  // A steady loop (the shape of a training step) allocates from the device only in its first pass.
  Rng g(5);
  Tensor x = Tensor::randn(Shape{2, 3, 8, 8}, g).to(Device::cuda);
  auto step = [&] {
    Tensor w = Tensor::ones(Shape{3}, DType::f32, Device::cuda);
    Tensor y = ops::mul(ops::add(x, 1.0), w);
    return ops::mean(ops::mul(y, y)).item();
  };
  step();
  const device::MemoryStats warm = device::cuda_memory_stats();
  device::reset_peak_cuda_memory();
  for (int i = 0; i < 20; ++i) step();
  const device::MemoryStats after = device::cuda_memory_stats();
  CHECK(after.device_mallocs == warm.device_mallocs);
  CHECK(after.bytes_in_use == warm.bytes_in_use);
  CHECK(after.peak_bytes_in_use > after.bytes_in_use);  // the step's temporaries were counted
  device::empty_cuda_cache();
  CHECK(device::cuda_memory_stats().bytes_cached == 0);
}

#endif  // GAN_HAS_CUDA

TEST_CASE("cuda tensors: round trips cpu -> cuda -> cpu keep every value", "[cuda][tensor]") {
  test::require_cuda_device_or_skip();
  Rng g(11);
  for (int64_t n : {int64_t(1), int64_t(7), int64_t(4096), int64_t(100003)}) {
    Tensor h = Tensor::randn(Shape{n}, g);
    Tensor d = h.to(Device::cuda);
    CHECK(d.device() == Device::cuda);
    Tensor d2 = d.clone();  // device to device
    Tensor back = d2.to(Device::cpu);
    CHECK(back.to_vector<float>() == h.to_vector<float>());
  }
  Tensor f = Tensor::full(Shape{5, 3}, 2.5, DType::f32, Device::cuda);
  for (float v : f.to_vector<float>()) CHECK(v == 2.5f);
  Tensor z = Tensor::zeros(Shape{13}, DType::f32, Device::cuda);
  for (float v : z.to_vector<float>()) CHECK(v == 0.0f);
  // Gradients flow back across the device copy.
  Tensor leaf = Tensor::randn(Shape{6}, g).set_requires_grad(true);
  ops::sum(ops::mul(leaf.to(Device::cuda), 3.0)).backward();
  REQUIRE(leaf.grad().defined());
  CHECK(leaf.grad().device() == Device::cpu);
  for (float v : leaf.grad().to_vector<float>()) CHECK(v == 3.0f);
}

TEST_CASE("cuda kernels: unaligned views take the scalar paths and still match the cpu", "[cuda][tensor]") {
  test::require_cuda_device_or_skip();
  Rng g(3);
  // Rows of 5 floats: row 1 starts 20 bytes into the buffer, not 16-byte aligned.
  Tensor a = Tensor::randn(Shape{3, 5}, g), b = Tensor::randn(Shape{3, 5}, g);
  Tensor av = a.slice_batch(1, 2), bv = b.slice_batch(1, 2);
  Tensor ad = a.to(Device::cuda).slice_batch(1, 2), bd = b.to(Device::cuda).slice_batch(1, 2);
  auto close = [](const Tensor& d, const Tensor& h) {
    return test::rel_l2(d.to_vector<double>(), h.to_vector<double>()) < 1e-6;
  };
  CHECK(close(ops::add(ad, bd), ops::add(av, bv)));
  CHECK(close(ops::div(ad, bd), ops::div(av, bv)));
  CHECK(close(ops::affine(ad, 2.0, -1.0), ops::affine(av, 2.0, -1.0)));
  CHECK(close(ops::sum(ad), ops::sum(av)));
  Tensor f = Tensor::zeros(Shape{3, 5}, DType::f32, Device::cuda).slice_batch(1, 2);
  f.fill_(4.0);
  for (float v : f.to_vector<float>()) CHECK(v == 4.0f);
}
