// The transposed convolution on conv2d's kernels (kernels/cuda/conv2d.cu): no kernel of its own.
#include "kernels/cuda/conv_transpose2d.h"

namespace gan::kernels::cuda {

void conv_transpose2d_forward(const float* x, const float* w, const float* bias, float* y,
                              const ConvGeometry& t, int variant) {
  conv2d_backward_data(x, w, bias, y, inverse_convolution(t), variant);
}

void conv_transpose2d_backward_data(const float* gy, const float* w, float* dx,
                                    const ConvGeometry& t, int variant) {
  conv2d_forward(gy, w, nullptr, dx, inverse_convolution(t), variant);
}

void conv_transpose2d_backward_weight(const float* x, const float* gy, float* dw,
                                      const ConvGeometry& t, int variant) {
  conv2d_backward_weight(gy, x, dw, inverse_convolution(t), variant);
}

}  // namespace gan::kernels::cuda
