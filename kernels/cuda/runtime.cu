// The device runtime: device discovery, the device's one stream, checked copies, and a self-test
// launch. Compiled by nvcc, or as C++ against the emulator.
#include <mutex>

#include "kernels/cuda/launch.h"
#include "kernels/cuda/runtime.h"

namespace gan::kernels::cuda {

int device_count() {
  static const int count = [] {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
      (void)cudaGetLastError();  // "no device" is an answer here, not an error to keep
      return 0;
    }
    return n;
  }();
  return count;
}

cudaStream_t stream() {
  static cudaStream_t s = [] {
    cudaStream_t created = nullptr;
    GAN_CUDA_CHECK(cudaStreamCreateWithFlags(&created, cudaStreamNonBlocking));
    return created;
  }();
  return s;
}

void* device_malloc(size_t bytes) {
  void* p = nullptr;
  GAN_CUDA_CHECK(cudaMalloc(&p, bytes));
  return p;
}
void device_free(void* p) { GAN_CUDA_CHECK(cudaFree(p)); }

void memcpy_h2d(void* dst, const void* src, size_t bytes) {
  // From pageable host memory the call returns once the source has been read.
  GAN_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream()));
}
void memcpy_d2h(void* dst, const void* src, size_t bytes) {
  GAN_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream()));
  GAN_CUDA_CHECK(cudaStreamSynchronize(stream()));
}
void memcpy_d2d(void* dst, const void* src, size_t bytes) {
  GAN_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream()));
}
void memset_zero(void* p, size_t bytes) {
  GAN_CUDA_CHECK(cudaMemsetAsync(p, 0, bytes, stream()));
}
void synchronize() { GAN_CUDA_CHECK(cudaStreamSynchronize(stream())); }

namespace {
// One block; every thread adds 1 to a counter in shared memory, thread 0 stores the total.
__global__ void self_test_kernel(int* out) {
  GAN_SHARED(int, count, [1]);
  if (threadIdx.x == 0) count[0] = 0;
  __syncthreads();
  atomicAdd(&count[0], 1);
  __syncthreads();
  if (threadIdx.x == 0) *out = count[0];
}
}  // namespace

int launch_self_test(int threads_per_block) {
  int* d = static_cast<int*>(device_malloc(sizeof(int)));
  struct Free {
    int* p;
    ~Free() { cudaFree(p); }
  } guard{d};
  GAN_LAUNCH(self_test_kernel, 1, threads_per_block, 0, stream())(d);
  GAN_CUDA_CHECK_LAUNCH();
  int h = 0;
  memcpy_d2h(&h, d, sizeof(int));
  return h;
}

}  // namespace gan::kernels::cuda

namespace gan::kernels::cuda {

void* scratch(size_t bytes) {
  static std::mutex mu;
  static void* buffer = nullptr;
  static size_t capacity = 0;
  std::lock_guard<std::mutex> lock(mu);
  if (bytes > capacity) {
    // cudaFree waits for the device, so no queued kernel still reads the old buffer.
    if (buffer) device_free(buffer);
    capacity = bytes < 4096 ? 4096 : bytes * 2;
    buffer = device_malloc(capacity);
  }
  return buffer;
}

}  // namespace gan::kernels::cuda
