// concat along any dimension; the backward splits the gradient back into the inputs' shapes.
// Kernels: kernels/cpu/concat.h.
#include <stdexcept>
#include <string>

#include "core/ops.h"
#include "core/ops/dispatch.h"
#include "kernels/cpu/concat.h"
#if GAN_HAS_CUDA
#include "kernels/cuda/concat.h"
#endif

namespace gan::ops {

Tensor concat(const std::vector<Tensor>& xs, int dim) {
  if (xs.empty()) throw std::invalid_argument("concat: needs at least one tensor");
  const Tensor& first = xs[0];
  if (!first.defined()) throw std::invalid_argument("concat: undefined tensor");
  const int ndim = first.ndim();
  if (dim < 0) dim += ndim;  // -1 = last dim, as PyTorch
  if (dim < 0 || dim >= ndim)
    throw_shape_error("concat", "dim " + std::to_string(dim) + " out of range", first);

  Shape out_shape = first.shape();
  out_shape.d[dim] = 0;
  for (const Tensor& x : xs) {
    check_same_dtype_device("concat", first, x);
    bool match = x.ndim() == ndim;
    for (int i = 0; match && i < ndim; ++i) match = i == dim || x.size(i) == first.size(i);
    if (!match)
      throw_shape_error("concat", "all sizes except dim " + std::to_string(dim) + " must match",
                        first, &x);
    out_shape.d[dim] += x.size(dim);
  }

  int64_t outer = 1, after = 1;
  for (int i = 0; i < dim; ++i) outer *= first.size(i);
  for (int i = dim + 1; i < ndim; ++i) after *= first.size(i);
  std::vector<int64_t> inner;
  for (const Tensor& x : xs) inner.push_back(x.size(dim) * after);
  const int count = static_cast<int>(xs.size());

  Tensor y = Tensor::empty(out_shape, first.dtype(), first.device());
  if (first.is_cuda()) {
#if GAN_HAS_CUDA
    const int64_t row = out_shape.d[dim] * after;  // one output row: the inputs' rows end to end
    int64_t col = 0;
    for (int k = 0; k < count; ++k) {
      cuda::copy_rows(y.data<float>(), row, col, xs[k].data<float>(), inner[k], 0, outer, inner[k]);
      col += inner[k];
    }
#else
    detail::no_cuda("concat");
#endif
  } else {
    detail::with_scalar_type(first.dtype(), [&](auto t) {
      using T = decltype(t);
      std::vector<const T*> srcs;
      for (const Tensor& x : xs) srcs.push_back(x.data<T>());
      kernels::cpu::concat_forward<T>(srcs.data(), inner.data(), count, outer, y.data<T>());
    });
  }
  if (!needs_graph(xs)) return y;
  std::vector<Shape> shapes;
  for (const Tensor& x : xs) shapes.push_back(x.shape());
  return record(y, "concat", xs, [=](const Tensor& gy, const std::vector<bool>& needs) {
    std::vector<Tensor> gxs(shapes.size());
    for (size_t k = 0; k < shapes.size(); ++k)
      if (needs[k]) gxs[k] = Tensor::empty(shapes[k], gy.dtype(), gy.device());
    if (gy.is_cuda()) {
#if GAN_HAS_CUDA
      const int64_t row = gy.numel() / (outer > 0 ? outer : 1);
      int64_t col = 0;
      for (int k = 0; k < count; ++k) {
        if (gxs[k].defined())
          cuda::copy_rows(gxs[k].data<float>(), inner[k], 0, gy.data<float>(), row, col, outer,
                          inner[k]);
        col += inner[k];
      }
#else
      detail::no_cuda("concat");
#endif
    } else {
      detail::with_scalar_type(gy.dtype(), [&](auto t) {
        using T = decltype(t);
        std::vector<T*> dsts;
        for (const Tensor& g : gxs) dsts.push_back(g.defined() ? g.data<T>() : nullptr);
        kernels::cpu::concat_backward<T>(gy.data<T>(), dsts.data(), inner.data(), count, outer);
      });
    }
    return gxs;
  });
}

}  // namespace gan::ops
