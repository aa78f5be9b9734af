// Shared between the emulator's launch machinery (emulator.cpp) and its runtime API (runtime_api.cpp).
#pragma once
#include <cstddef>

#include "kernels/cuda/emu/cuda_emu.h"

namespace gan::kernels::cuda::emu {

// The sticky-until-read error of cudaGetLastError (per OS thread, like the real one per host thread).
void set_last_error(cudaError_t e);
// Largest dynamic shared memory a launch of `kernel` may ask for (48 KiB unless raised with
// cudaFuncSetAttribute, up to 227 KiB as on sm_90).
size_t max_dynamic_shared(const void* kernel);

}  // namespace gan::kernels::cuda::emu
