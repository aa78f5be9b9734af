// Launcher for the fused Adam step (kernels/cuda/adam.cu); the same update as
// kernels/cpu/adam.h (PyTorch's Adam with L2 weight decay):
//   g = grad + weight_decay * param;  m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2
//   param -= step_size * m / (sqrt(v) * inv_sqrt_bc2 + eps)
// with step_size = lr / (1 - b1^t) and inv_sqrt_bc2 = 1 / sqrt(1 - b2^t). Device pointers.
#pragma once
#include <cstdint>

namespace gan::kernels::cuda {

void adam_update(float* param, const float* grad, float* m, float* v, int64_t n, float beta1,
                 float beta2, float eps, float weight_decay, float step_size, float inv_sqrt_bc2);

}  // namespace gan::kernels::cuda
