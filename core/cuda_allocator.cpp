#include "core/cuda_allocator.h"

#if GAN_HAS_CUDA
#include "kernels/cuda/runtime.h"

namespace gan::device {

CudaCachingAllocator& CudaCachingAllocator::instance() {
  // Never destroyed: tensors released during static destruction still find it.
  static CudaCachingAllocator* a = new CudaCachingAllocator;
  return *a;
}

size_t CudaCachingAllocator::bin_size(size_t bytes) {
  constexpr size_t kSmallStep = 512, kLarge = size_t(1) << 20;
  if (bytes == 0) bytes = 1;
  if (bytes <= kLarge) return (bytes + kSmallStep - 1) / kSmallStep * kSmallStep;
  size_t pow2 = kLarge;
  while (pow2 * 2 < bytes) pow2 *= 2;  // pow2 < bytes <= 2 pow2
  const size_t step = pow2 / 4;
  return (bytes + step - 1) / step * step;
}

void* CudaCachingAllocator::allocate(size_t bytes) {
  const size_t bin = bin_size(bytes);
  std::lock_guard<std::mutex> lock(mu_);
  void* p = nullptr;
  auto it = free_.find(bin);
  if (it != free_.end() && !it->second.empty()) {
    p = it->second.back();
    it->second.pop_back();
    stats_.bytes_cached -= bin;
  } else {
    try {
      p = cuda::device_malloc(bin);
    } catch (const std::exception&) {
      // Out of memory with blocks cached in other bins: give them back and try once more.
      for (auto& [size, blocks] : free_)
        for (void* b : blocks) cuda::device_free(b);
      free_.clear();
      stats_.bytes_cached = 0;
      p = cuda::device_malloc(bin);
    }
    ++stats_.device_mallocs;
  }
  stats_.bytes_in_use += bin;
  if (stats_.bytes_in_use > stats_.peak_bytes_in_use) stats_.peak_bytes_in_use = stats_.bytes_in_use;
  return p;
}

void CudaCachingAllocator::release(void* p, size_t bytes) {
  if (!p) return;
  const size_t bin = bin_size(bytes);
  std::lock_guard<std::mutex> lock(mu_);
  free_[bin].push_back(p);
  stats_.bytes_in_use -= bin;
  stats_.bytes_cached += bin;
}

MemoryStats CudaCachingAllocator::stats() {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void CudaCachingAllocator::reset_peak() {
  std::lock_guard<std::mutex> lock(mu_);
  stats_.peak_bytes_in_use = stats_.bytes_in_use;
}

void CudaCachingAllocator::empty_cache() {
  std::lock_guard<std::mutex> lock(mu_);
  cuda::synchronize();  // cached blocks may still be read by queued kernels
  for (auto& [size, blocks] : free_)
    for (void* b : blocks) cuda::device_free(b);
  free_.clear();
  stats_.bytes_cached = 0;
}

}  // namespace gan::device
#endif  // GAN_HAS_CUDA
