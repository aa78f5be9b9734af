// Launchers for the pointwise activations (kernels/cuda/activation.cu); slope is used by
// leaky_relu only. Device pointers; runs on the device's stream.
#pragma once
#include <cstdint>

#include "kernels/common/op_kinds.h"

namespace gan::kernels::cuda {

void activation_forward(Activation act, const float* x, float* y, int64_t n, float slope);
// gx = gy * act'(.): relu, leaky_relu and abs read x; tanh and sigmoid read the output y.
void activation_backward(Activation act, const float* x, const float* y, const float* gy, float* gx,
                         int64_t n, float slope);

}  // namespace gan::kernels::cuda
