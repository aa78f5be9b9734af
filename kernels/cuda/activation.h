// Launchers for the pointwise activations (kernels/cuda/activation.cu). act is the value of
// kernels::cpu::Activation: 0 relu, 1 leaky_relu, 2 tanh, 3 sigmoid, 4 abs; slope is used by
// leaky_relu only. Device pointers; runs on the device's stream.
#pragma once
#include <cstdint>

namespace gan::cuda {

void activation_forward(int act, const float* x, float* y, int64_t n, float slope);
// gx = gy * act'(.): relu, leaky_relu and abs read x; tanh and sigmoid read the output y.
void activation_backward(int act, const float* x, const float* y, const float* gy, float* gx,
                         int64_t n, float slope);

}  // namespace gan::cuda
