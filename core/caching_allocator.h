// A size-binned caching allocator over a device's raw allocation functions, used by both devices.
// Freed blocks go to per-bin free lists and the next request of the same bin reuses one, so a
// training loop, whose steps request the same sizes every time, asks the system (malloc/mmap on the
// cpu, cudaMalloc on cuda) for memory only during its first steps: no page faults, no zeroing of
// fresh pages, no device synchronisation in the steady state.
//
// Bins: requests are rounded up to a multiple of 512 bytes below 1 MiB, and above that to the next
// of four steps per power of two (1, 1.25, 1.5, 1.75 x 2^k), so the rounding wastes < 25 %.
#pragma once
#include <cstddef>
#include <map>
#include <mutex>
#include <vector>

#include "core/device.h"

namespace gan::device {

class CachingAllocator {
 public:
  // The device's own allocation: allocate throws on failure; sync (may be null) waits until the
  // device no longer reads any block, before blocks are returned to it.
  struct Backend {
    void* (*allocate)(size_t bytes);
    void (*release)(void* p);
    void (*sync)();
  };
  explicit CachingAllocator(Backend backend) : backend_(backend) {}
  CachingAllocator(const CachingAllocator&) = delete;
  CachingAllocator& operator=(const CachingAllocator&) = delete;

  void* allocate(size_t bytes);
  void release(void* p, size_t bytes);  // bytes: as passed to allocate
  MemoryStats stats();
  void reset_peak();
  void empty_cache();  // returns every cached block to the device

  static size_t bin_size(size_t bytes);

 private:
  void release_cached_locked();

  Backend backend_;
  std::mutex mu_;
  std::map<size_t, std::vector<void*>> free_;  // bin size -> cached blocks
  MemoryStats stats_;
};

}  // namespace gan::device
