// GAN_HD marks small helpers that run on both host and device (CUDA or the emulator).
#pragma once
#if defined(__CUDACC__)
#define GAN_HD __host__ __device__ __forceinline__
#else
#define GAN_HD inline
#endif
