// conv2d: forward and backward (data, weight, bias gradients) by device.
// Kernels: kernels/cpu/conv2d.h (im2col + GEMM in chunks, direct paths for special shapes),
// kernels/cuda/conv2d.h (implicit GEMMs). Geometry: kernels/common/conv_geometry.h.
#include "core/ops.h"
#include "core/ops/conv_checks.h"
#include "core/ops/dispatch.h"
#include "kernels/common/conv_geometry.h"
#include "kernels/cpu/conv2d.h"
#include "kernels/cuda/conv2d.h"

namespace gan::ops {

Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& bias, int stride, int padding,
              PadMode mode) {
  const int64_t c_out = detail::check_conv_args("conv2d", x, w, bias, stride, padding, 0);
  const int64_t k = w.size(2);
  if (k > x.size(2) + 2 * padding || k > x.size(3) + 2 * padding)
    throw_shape_error("conv2d", "kernel larger than the padded input (padding " +
                                    std::to_string(padding) + ")", x, &w);
  kernels::ConvGeometry g = kernels::make_conv_geometry(x.size(0), x.size(1), x.size(2),
                                                        x.size(3), c_out, k, stride, padding);
  if (mode == PadMode::reflect && padding > 0) {
    if (padding >= x.size(2) || padding >= x.size(3))
      throw_shape_error("conv2d", "reflection padding " + std::to_string(padding) +
                                      " must be smaller than H and W", x, &w);
    // The CPU's im2col kernels mirror the indices; elsewhere (CUDA, the direct kernels) the
    // padded copy is made, and its backward folds the gradient back.
    if (x.device() != Device::cpu || !kernels::cpu::conv2d_reads_reflection(g))
      return conv2d(reflection_pad2d(x, padding), w, bias, stride, 0);
    g.reflect = true;
  }
  Tensor y = Tensor::empty({g.n, g.c_out, g.h_out, g.w_out}, x.dtype(), x.device());
  detail::run_kernels(
      "conv2d", x,
      [&](auto t) {
        using T = decltype(t);
        kernels::cpu::conv2d_forward<T>(x.data<T>(), w.data<T>(), detail::ptr<T>(bias),
                                        y.data<T>(), g);
      },
      [&](auto) {
        kernels::cuda::conv2d_forward(x.data<float>(), w.data<float>(), detail::ptr<float>(bias),
                                      y.data<float>(), g);
      });
  if (!needs_graph({x, w, bias})) return y;
  Tensor x_saved = x.detach(), w_saved = w.detach();
  return record(y, "conv2d", {x, w, bias}, [=](const Tensor& gy, const std::vector<bool>& needs) {
    Tensor gx, gw, gb;
    if (needs[0]) gx = Tensor::empty(x_saved.shape(), gy.dtype(), gy.device());
    if (needs[1]) gw = Tensor::empty(w_saved.shape(), gy.dtype(), gy.device());
    if (needs.size() > 2 && needs[2]) gb = Tensor::empty({g.c_out}, gy.dtype(), gy.device());
    detail::run_kernels(
        "conv2d", gy,
        [&](auto t) {
          using T = decltype(t);
          namespace k = kernels::cpu;
          if (gx.defined())
            k::conv2d_backward_data<T>(gy.data<T>(), w_saved.data<T>(), gx.data<T>(), g);
          if (gw.defined())
            k::conv2d_backward_weight<T>(x_saved.data<T>(), gy.data<T>(), gw.data<T>(), g);
          if (gb.defined())
            k::channel_sum<T>(gy.data<T>(), gb.data<T>(), g.n, g.c_out, g.out_plane());
        },
        [&](auto) {
          namespace k = kernels::cuda;
          if (gx.defined())
            k::conv2d_backward_data(gy.data<float>(), w_saved.data<float>(), nullptr,
                                    gx.data<float>(), g);
          if (gw.defined())
            k::conv2d_backward_weight(x_saved.data<float>(), gy.data<float>(), gw.data<float>(),
                                      g);
          if (gb.defined())
            k::channel_sum(gy.data<float>(), gb.data<float>(), g.n, g.c_out, g.out_plane());
        });
    return std::vector<Tensor>{gx, gw, gb};
  });
}

}  // namespace gan::ops
