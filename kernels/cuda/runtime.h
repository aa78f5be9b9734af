// The CUDA runtime as the engine uses it (plain C++, no CUDA types): one device, one stream,
// checked copies. Implemented in runtime.cu for real CUDA and for the emulator alike.
// Every function throws std::runtime_error (file:line and the CUDA error string) on failure.
#pragma once
#include <cstddef>

namespace gan::kernels::cuda {

int device_count();  // 0 when there is no usable device (never throws)

// Raw device memory; the engine allocates through core/cuda_allocator.h instead, which caches.
void* device_malloc(size_t bytes);
void device_free(void* p);

// Copies ordered on the device's stream. d2h waits for the copy (the host reads next).
void memcpy_h2d(void* dst, const void* src, size_t bytes);
void memcpy_d2h(void* dst, const void* src, size_t bytes);
void memcpy_d2d(void* dst, const void* src, size_t bytes);
void memset_zero(void* p, size_t bytes);
void synchronize();  // waits for all work on the device's stream

// Scratch device memory of at least `bytes`, reused by every launcher (ordered on the one
// stream, so consecutive users never overlap). Valid until the next call.
void* scratch(size_t bytes);

// Launches a one-block kernel with the given number of threads that writes its thread count to
// device memory, and returns what it wrote. A bad block size throws from the launch check: lets
// tests and `gan_*` diagnostics see that launches and their error checking work.
int launch_self_test(int threads_per_block);

}  // namespace gan::kernels::cuda
