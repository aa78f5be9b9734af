#include "core/device.h"

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>

#include "core/caching_allocator.h"
#if GAN_HAS_CUDA
#include "core/cuda_allocator.h"
#include "kernels/cuda/conv2d.h"
#include "kernels/cuda/runtime.h"
#endif

namespace gan::device {

#if !GAN_HAS_CUDA
static std::string g_conv_math = "fp32";  // kept for conv_math() only
#endif

void set_conv_math(const std::string& mode) {
  if (mode != "fp32" && mode != "tf32")
    throw std::invalid_argument("conv math must be fp32 or tf32, got '" + mode + "'");
#if GAN_HAS_CUDA
  using kernels::cuda::ConvMath;
  kernels::cuda::set_conv_math(mode == "tf32" ? ConvMath::tf32 : ConvMath::fp32);
#else
  g_conv_math = mode;
#endif
}

std::string conv_math() {
#if GAN_HAS_CUDA
  return kernels::cuda::conv_math() == kernels::cuda::ConvMath::tf32 ? "tf32" : "fp32";
#else
  return g_conv_math;
#endif
}

static bool g_poison = false;
void set_poison_new_buffers(bool on) { g_poison = on; }
bool poison_new_buffers() { return g_poison; }

namespace {

void* host_allocate(size_t bytes) {
  // 64-byte alignment: full AVX-512 vectors and no false sharing at the start of a buffer.
  size_t rounded = (bytes + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, rounded ? rounded : 64);
  if (!p) throw std::bad_alloc();
  return p;
}

bool cpu_cache_wanted() {
#if defined(__SANITIZE_ADDRESS__)
  return false;
#else
  const char* v = std::getenv("GAN_CPU_CACHE");
  return !(v && std::string(v) == "0");
#endif
}

const bool g_cpu_caching = cpu_cache_wanted();

CachingAllocator& cpu_allocator() {
  // Never destroyed: tensors released during static destruction still find it.
  static CachingAllocator* a =
      new CachingAllocator({host_allocate, [](void* p) { std::free(p); }, nullptr});
  return *a;
}

// Without the cache: the same statistics, counted here.
std::mutex g_uncached_mu;
MemoryStats g_uncached_stats;

}  // namespace

bool cpu_caching() { return g_cpu_caching; }

bool cuda_built() { return GAN_HAS_CUDA != 0; }
bool cuda_emulated() { return GAN_CUDA_EMULATED != 0; }

bool cuda_available() {
#if GAN_HAS_CUDA
  return kernels::cuda::device_count() > 0;
#else
  return false;
#endif
}

void require_cuda(const char* what) {
#if GAN_HAS_CUDA
  if (!cuda_available())
    throw std::runtime_error(std::string(what) + ": no CUDA device found on this machine");
#else
  throw std::runtime_error(std::string(what) +
                           ": this build has no CUDA backend (configure with -DGAN_CUDA=ON, "
                           "or -DGAN_CUDA_EMU=ON for the CPU emulator)");
#endif
}

void* allocate(size_t bytes, Device d) {
  if (d == Device::cpu) {
    if (g_cpu_caching) return cpu_allocator().allocate(bytes);
    void* p = host_allocate(bytes);
    std::lock_guard<std::mutex> lock(g_uncached_mu);
    MemoryStats& s = g_uncached_stats;
    ++s.device_mallocs;
    s.bytes_in_use += bytes;
    if (s.bytes_in_use > s.peak_bytes_in_use) s.peak_bytes_in_use = s.bytes_in_use;
    return p;
  }
  require_cuda("allocate");
#if GAN_HAS_CUDA
  return CudaCachingAllocator::instance().allocate(bytes);
#else
  return nullptr;
#endif
}

void release(void* p, size_t bytes, Device d) {
  if (!p) return;
  if (d == Device::cpu) {
    if (g_cpu_caching) return cpu_allocator().release(p, bytes);
    std::free(p);
    std::lock_guard<std::mutex> lock(g_uncached_mu);
    g_uncached_stats.bytes_in_use -= bytes;
    return;
  }
#if GAN_HAS_CUDA
  CudaCachingAllocator::instance().release(p, bytes);
#else
  (void)bytes;
#endif
}

void copy(void* dst, Device dst_dev, const void* src, Device src_dev, size_t bytes) {
  if (bytes == 0) return;
  if (dst_dev == Device::cpu && src_dev == Device::cpu) {
    std::memcpy(dst, src, bytes);
    return;
  }
  require_cuda("copy");
#if GAN_HAS_CUDA
  if (dst_dev == Device::cuda && src_dev == Device::cuda)
    kernels::cuda::memcpy_d2d(dst, src, bytes);
  else if (dst_dev == Device::cuda) kernels::cuda::memcpy_h2d(dst, src, bytes);
  else kernels::cuda::memcpy_d2h(dst, src, bytes);
#endif
}

void set_zero(void* p, size_t bytes, Device d) {
  if (d == Device::cpu) {
    std::memset(p, 0, bytes);
    return;
  }
  require_cuda("set_zero");
#if GAN_HAS_CUDA
  kernels::cuda::memset_zero(p, bytes);
#endif
}

void synchronize() {
#if GAN_HAS_CUDA
  if (cuda_available()) kernels::cuda::synchronize();
#endif
}

MemoryStats cpu_memory_stats() {
  if (g_cpu_caching) return cpu_allocator().stats();
  std::lock_guard<std::mutex> lock(g_uncached_mu);
  return g_uncached_stats;
}
void reset_peak_cpu_memory() {
  if (g_cpu_caching) return cpu_allocator().reset_peak();
  std::lock_guard<std::mutex> lock(g_uncached_mu);
  g_uncached_stats.peak_bytes_in_use = g_uncached_stats.bytes_in_use;
}
void empty_cpu_cache() {
  if (g_cpu_caching) cpu_allocator().empty_cache();
}

MemoryStats cuda_memory_stats() {
#if GAN_HAS_CUDA
  return CudaCachingAllocator::instance().stats();
#else
  return {};
#endif
}
void reset_peak_cuda_memory() {
#if GAN_HAS_CUDA
  CudaCachingAllocator::instance().reset_peak();
#endif
}
void empty_cuda_cache() {
#if GAN_HAS_CUDA
  CudaCachingAllocator::instance().empty_cache();
#endif
}

}  // namespace gan::device
