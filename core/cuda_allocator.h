// The caching allocator of the cuda device (core/caching_allocator.h over cudaMalloc/cudaFree).
// cudaMalloc/cudaFree are slow and synchronise the device. All work runs on the device's one
// stream, so a block freed by the host can be handed out again at once: later kernels that use it
// are ordered after the earlier ones that used it.
#pragma once
#include "core/caching_allocator.h"

namespace gan::device {

class CudaCachingAllocator : public CachingAllocator {
 public:
  static CudaCachingAllocator& instance();

 private:
  CudaCachingAllocator();
};

}  // namespace gan::device
