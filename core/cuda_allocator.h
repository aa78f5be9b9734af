// The caching allocator of the cuda device. cudaMalloc/cudaFree are slow and synchronise the
// device, so freed blocks go to size-binned free lists and the next request of the same bin reuses
// them: a training loop allocates from the device only in its first steps. All work runs on the
// device's one stream, so a block freed by the host can be handed out again at once: later kernels
// that use it are ordered after the earlier ones that used it.
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

class CudaCachingAllocator {
 public:
  static CudaCachingAllocator& instance();

  void* allocate(size_t bytes);
  void release(void* p, size_t bytes);  // bytes: as passed to allocate
  MemoryStats stats();
  void reset_peak();
  void empty_cache();  // returns every cached block to the device

  static size_t bin_size(size_t bytes);

 private:
  std::mutex mu_;
  std::map<size_t, std::vector<void*>> free_;  // bin size -> cached blocks
  MemoryStats stats_;
};

}  // namespace gan::device
