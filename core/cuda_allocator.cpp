#include "core/cuda_allocator.h"

#if GAN_HAS_CUDA
#include "kernels/cuda/runtime.h"

namespace gan::device {

CudaCachingAllocator::CudaCachingAllocator()
    : CachingAllocator({[](size_t bytes) { return kernels::cuda::device_malloc(bytes); },
                        [](void* p) { kernels::cuda::device_free(p); },
                        [] { kernels::cuda::synchronize(); }}) {}

CudaCachingAllocator& CudaCachingAllocator::instance() {
  // Never destroyed: tensors released during static destruction still find it.
  static CudaCachingAllocator* a = new CudaCachingAllocator;
  return *a;
}

}  // namespace gan::device
#endif  // GAN_HAS_CUDA
