// Device memory and copies. Both devices allocate through a size-binned caching allocator
// (core/caching_allocator.h): the cpu one over 64-byte aligned host memory, the cuda one over the
// CUDA backend (real CUDA, or the CPU emulator in emulated builds). The cpu cache is off in
// sanitizer builds (it would hide use-after-free from AddressSanitizer) and when the environment
// variable GAN_CPU_CACHE=0. In a build without a CUDA backend every cuda request throws a clear error.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/tensor.h"

namespace gan::device {

bool cuda_built();      // this build has a cuda backend (real or emulated)
bool cuda_emulated();   // that backend is the CPU emulator
bool cuda_available();  // built, and a device is present
// Throws std::runtime_error naming `what` when the cuda device cannot be used.
void require_cuda(const char* what);

void* allocate(size_t bytes, Device d);
void release(void* p, size_t bytes, Device d);
// Copies bytes between any two devices. Ordered on the device's stream.
void copy(void* dst, Device dst_dev, const void* src, Device src_dev, size_t bytes);
void set_zero(void* p, size_t bytes, Device d);
void synchronize();

// The arithmetic of the cuda device's convolutions for the whole process: "fp32" (the default:
// FP32 FMAs) or "tf32" (TF32 tensor cores, inputs rounded to 10 mantissa bits; docs/kernels.md).
// Throws std::invalid_argument for any other name. The cpu device always computes in FP32; in a
// build without a CUDA backend the setting is kept but changes nothing. Set it before training.
void set_conv_math(const std::string& mode);
std::string conv_math();

// Testing aid: when on, every new tensor buffer starts as NaN, so an element a kernel forgets to
// write shows up as NaN in the result instead of passing by luck.
void set_poison_new_buffers(bool on);
bool poison_new_buffers();

struct MemoryStats {
  size_t bytes_in_use = 0;    // handed out to live tensors
  size_t peak_bytes_in_use = 0;
  size_t bytes_cached = 0;    // held by the allocator's free lists
  size_t device_mallocs = 0;  // calls to the underlying cudaMalloc
};
MemoryStats cuda_memory_stats();
// The cpu device's allocator; device_mallocs counts calls to the system allocator (with the cache
// off, every allocation).
MemoryStats cpu_memory_stats();
void reset_peak_cpu_memory();
void empty_cpu_cache();
bool cpu_caching();
void reset_peak_cuda_memory();
void empty_cuda_cache();

}  // namespace gan::device
