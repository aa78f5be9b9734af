// conv_transpose2d: forward and backward by device. The CPU kernels are conv2d's with x and y
// exchanged (kernels/cpu/conv_transpose2d.h).
#include "core/ops.h"
#include "core/ops/conv_checks.h"
#include "core/ops/dispatch.h"
#include "kernels/cpu/conv_transpose2d.h"
#if GAN_HAS_CUDA
#include "kernels/cuda/conv_transpose2d.h"
#endif

namespace gan::ops {

Tensor conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& bias, int stride,
                        int padding, int output_padding) {
  const char* op = "conv_transpose2d";
  const int64_t c_out = detail::check_conv_args(op, x, w, bias, stride, padding, 1);
  if (output_padding < 0 || output_padding >= stride)
    throw_shape_error(op, "output_padding must be in [0, stride) (output_padding " +
                              std::to_string(output_padding) + ", stride " +
                              std::to_string(stride) + ")", x, &w);
  const kernels::cpu::ConvGeometry g = kernels::cpu::transposed_conv_geometry(
      x.size(0), x.size(1), x.size(2), x.size(3), c_out, w.size(2), stride, padding,
      output_padding);
  if (g.h < 1 || g.w < 1)
    throw_shape_error(op, "output would be empty (padding " + std::to_string(padding) + ")", x, &w);
  // The output of the transposed convolution is the input of g's convolution.
  Tensor y = Tensor::empty({g.n, g.c_in, g.h, g.w}, x.dtype(), x.device());
  if (x.is_cuda()) {
#if GAN_HAS_CUDA
    cuda::conv_transpose2d_forward(x.data<float>(), w.data<float>(),
                                   bias.defined() ? bias.data<float>() : nullptr, y.data<float>(),
                                   detail::cuda_shape(g));
#else
    detail::no_cuda(op);
#endif
  } else {
    detail::with_scalar_type(x.dtype(), [&](auto t) {
      using T = decltype(t);
      kernels::cpu::conv_transpose2d_forward<T>(
          x.data<T>(), w.data<T>(), bias.defined() ? bias.data<T>() : nullptr, y.data<T>(), g);
    });
  }
  if (!needs_graph({x, w, bias})) return y;
  Tensor x_saved = x.detach(), w_saved = w.detach();
  return record(y, op, {x, w, bias}, [=](const Tensor& gy, const std::vector<bool>& needs) {
    Tensor gx, gw, gb;
    if (needs[0]) gx = Tensor::empty(x_saved.shape(), gy.dtype(), gy.device());
    if (needs[1]) gw = Tensor::empty(w_saved.shape(), gy.dtype(), gy.device());
    if (needs.size() > 2 && needs[2]) gb = Tensor::empty({g.c_in}, gy.dtype(), gy.device());
    if (gy.is_cuda()) {
#if GAN_HAS_CUDA
      const cuda::ConvShape s = detail::cuda_shape(g);
      if (gx.defined())
        cuda::conv_transpose2d_backward_data(gy.data<float>(), w_saved.data<float>(),
                                             gx.data<float>(), s);
      if (gw.defined())
        cuda::conv_transpose2d_backward_weight(x_saved.data<float>(), gy.data<float>(),
                                               gw.data<float>(), s);
      if (gb.defined()) cuda::channel_sum(gy.data<float>(), gb.data<float>(), g.n, g.c_in, g.in_plane());
#endif
    } else {
      detail::with_scalar_type(gy.dtype(), [&](auto t) {
        using T = decltype(t);
        namespace k = kernels::cpu;
        if (gx.defined())
          k::conv_transpose2d_backward_data<T>(gy.data<T>(), w_saved.data<T>(), gx.data<T>(), g);
        if (gw.defined())
          k::conv_transpose2d_backward_weight<T>(x_saved.data<T>(), gy.data<T>(), gw.data<T>(), g);
        if (gb.defined()) k::channel_sum<T>(gy.data<T>(), gb.data<T>(), g.n, g.c_in, g.in_plane());
      });
    }
    return std::vector<Tensor>{gx, gw, gb};
  });
}

}  // namespace gan::ops
