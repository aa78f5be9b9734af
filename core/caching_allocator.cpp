#include "core/caching_allocator.h"

#include <exception>

namespace gan::device {

size_t CachingAllocator::bin_size(size_t bytes) {
  constexpr size_t kSmallStep = 512, kLarge = size_t(1) << 20;
  if (bytes == 0) bytes = 1;
  if (bytes <= kLarge) return (bytes + kSmallStep - 1) / kSmallStep * kSmallStep;
  size_t pow2 = kLarge;
  while (pow2 * 2 < bytes) pow2 *= 2;  // pow2 < bytes <= 2 pow2
  const size_t step = pow2 / 4;
  return (bytes + step - 1) / step * step;
}

void CachingAllocator::release_cached_locked() {
  if (backend_.sync) backend_.sync();  // cached blocks may still be read by queued work
  for (auto& [size, blocks] : free_)
    for (void* b : blocks) backend_.release(b);
  free_.clear();
  stats_.bytes_cached = 0;
}

void* CachingAllocator::allocate(size_t bytes) {
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
      p = backend_.allocate(bin);
    } catch (const std::exception&) {
      // Out of memory with blocks cached in other bins: give them back and try once more.
      release_cached_locked();
      p = backend_.allocate(bin);
    }
    ++stats_.device_mallocs;
  }
  stats_.bytes_in_use += bin;
  if (stats_.bytes_in_use > stats_.peak_bytes_in_use) stats_.peak_bytes_in_use = stats_.bytes_in_use;
  return p;
}

void CachingAllocator::release(void* p, size_t bytes) {
  if (!p) return;
  const size_t bin = bin_size(bytes);
  std::lock_guard<std::mutex> lock(mu_);
  free_[bin].push_back(p);
  stats_.bytes_in_use -= bin;
  stats_.bytes_cached += bin;
}

MemoryStats CachingAllocator::stats() {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void CachingAllocator::reset_peak() {
  std::lock_guard<std::mutex> lock(mu_);
  stats_.peak_bytes_in_use = stats_.bytes_in_use;
}

void CachingAllocator::empty_cache() {
  std::lock_guard<std::mutex> lock(mu_);
  release_cached_locked();
}

}  // namespace gan::device
