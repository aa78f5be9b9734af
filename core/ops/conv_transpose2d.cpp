// conv_transpose2d: forward and backward by device. The kernels run conv2d's passes on the
// inverse convolution (kernels/cpu/conv_transpose2d.h, kernels/cuda/conv_transpose2d.h).
// Geometry: kernels/common/conv_geometry.h.
#include "core/ops.h"
#include "core/ops/conv_checks.h"
#include "core/ops/dispatch.h"
#include "kernels/common/conv_geometry.h"
#include "kernels/cpu/conv_transpose2d.h"
#include "kernels/cuda/conv_transpose2d.h"

namespace gan::ops {

Tensor conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& bias, int stride,
                        int padding, int output_padding) {
  const char* op = "conv_transpose2d";
  const int64_t c_out = detail::check_conv_args(op, x, w, bias, stride, padding, 1);
  if (output_padding < 0 || output_padding >= stride)
    throw_shape_error(op, "output_padding must be in [0, stride) (output_padding " +
                              std::to_string(output_padding) + ", stride " +
                              std::to_string(stride) + ")", x, &w);
  const kernels::ConvGeometry g = kernels::make_conv_transpose_geometry(
      x.size(0), x.size(1), x.size(2), x.size(3), c_out, w.size(2), stride, padding,
      output_padding);
  if (g.h_out < 1 || g.w_out < 1)
    throw_shape_error(op, "output would be empty (padding " + std::to_string(padding) + ")", x, &w);
  Tensor y = Tensor::empty({g.n, g.c_out, g.h_out, g.w_out}, x.dtype(), x.device());
  detail::run_kernels(
      op, x,
      [&](auto t) {
        using T = decltype(t);
        kernels::cpu::conv_transpose2d_forward<T>(x.data<T>(), w.data<T>(), detail::ptr<T>(bias),
                                                  y.data<T>(), g);
      },
      [&](auto) {
        kernels::cuda::conv_transpose2d_forward(x.data<float>(), w.data<float>(),
                                                detail::ptr<float>(bias), y.data<float>(), g);
      });
  if (!needs_graph({x, w, bias})) return y;
  Tensor x_saved = x.detach(), w_saved = w.detach();
  return record(y, op, {x, w, bias}, [=](const Tensor& gy, const std::vector<bool>& needs) {
    Tensor gx, gw, gb;
    if (needs[0]) gx = Tensor::empty(x_saved.shape(), gy.dtype(), gy.device());
    if (needs[1]) gw = Tensor::empty(w_saved.shape(), gy.dtype(), gy.device());
    if (needs.size() > 2 && needs[2]) gb = Tensor::empty({g.c_out}, gy.dtype(), gy.device());
    detail::run_kernels(
        op, gy,
        [&](auto t) {
          using T = decltype(t);
          namespace k = kernels::cpu;
          if (gx.defined())
            k::conv_transpose2d_backward_data<T>(gy.data<T>(), w_saved.data<T>(), gx.data<T>(), g);
          if (gw.defined())
            k::conv_transpose2d_backward_weight<T>(x_saved.data<T>(), gy.data<T>(), gw.data<T>(),
                                                   g);
          if (gb.defined())
            k::channel_sum<T>(gy.data<T>(), gb.data<T>(), g.n, g.c_out, g.out_plane());
        },
        [&](auto) {
          namespace k = kernels::cuda;
          if (gx.defined())
            k::conv_transpose2d_backward_data(gy.data<float>(), w_saved.data<float>(),
                                              gx.data<float>(), g);
          if (gw.defined())
            k::conv_transpose2d_backward_weight(x_saved.data<float>(), gy.data<float>(),
                                                gw.data<float>(), g);
          if (gb.defined())
            k::channel_sum(gy.data<float>(), gb.data<float>(), g.n, g.c_out, g.out_plane());
        });
    return std::vector<Tensor>{gx, gw, gb};
  });
}

}  // namespace gan::ops
