// Launchers for the convolution kernels (kernels/cuda/conv2d.cu). Layout as kernels/cpu/conv2d.h:
// x [n, c_in, h, w], weight [c_out, c_in, k, k], y [n, c_out, h_out, w_out], zero padding `pad`.
// conv_transpose2d is the same geometry read the other way round (its input is y, its output x):
// its forward is conv2d_backward_data and its data gradient is conv2d_forward.
// Device pointers; everything runs on the device's stream.
#pragma once
#include <cstdint>

namespace gan::cuda {

struct ConvShape {
  int64_t n, c_in, h, w, c_out, k, stride, pad, h_out, w_out;
};

// y = conv(x, weight) (+ bias[c_out] when bias is not null).
void conv2d_forward(const float* x, const float* weight, const float* bias, float* y,
                    const ConvShape& s);
// gx = gradient of x given gy (shape of y).
void conv2d_backward_data(const float* gy, const float* weight, float* gx, const ConvShape& s);
// gw = gradient of the weight given x and gy.
void conv2d_backward_weight(const float* x, const float* gy, float* gw, const ConvShape& s);
// out[c] = sum over n and the plane of t[n, c, :]: the bias gradient. Fixed order.
void channel_sum(const float* t, float* out, int64_t n, int64_t channels, int64_t plane);
// y[n, c, :] += bias[c].
void add_channel_bias(float* y, const float* bias, int64_t n, int64_t channels, int64_t plane);

}  // namespace gan::cuda
