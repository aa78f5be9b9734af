// Smallest CUDA translation unit: proves the CUDA toolchain builds. Replaced by real kernels.
__global__ void gan_probe_kernel(float* x) { x[threadIdx.x] += 1.0f; }
