// concat along any dimension; the backward splits the gradient back into the inputs' shapes.
// Kernels: kernels/cpu/concat.h, kernels/cuda/concat.h.
#include <stdexcept>
#include <string>

#include "core/ops.h"
#include "core/ops/dispatch.h"
#include "kernels/cpu/concat.h"
#include "kernels/cuda/concat.h"

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
  detail::run_kernels(
      "concat", first,
      [&](auto t) {
        using T = decltype(t);
        std::vector<const T*> srcs;
        for (const Tensor& x : xs) srcs.push_back(x.data<T>());
        kernels::cpu::concat_forward<T>(srcs.data(), inner.data(), count, outer, y.data<T>());
      },
      [&](auto) {
        // One output row: the inputs' rows end to end.
        const int64_t row = out_shape.d[dim] * after;
        int64_t col = 0;
        for (int k = 0; k < count; ++k) {
          kernels::cuda::copy_rows(y.data<float>(), row, col, xs[k].data<float>(), inner[k], 0,
                                   outer, inner[k]);
          col += inner[k];
        }
      });
  if (!needs_graph(xs)) return y;
  std::vector<Shape> shapes;
  for (const Tensor& x : xs) shapes.push_back(x.shape());
  return record(y, "concat", xs, [=](const Tensor& gy, const std::vector<bool>& needs) {
    std::vector<Tensor> gxs(shapes.size());
    for (size_t k = 0; k < shapes.size(); ++k)
      if (needs[k]) gxs[k] = Tensor::empty(shapes[k], gy.dtype(), gy.device());
    detail::run_kernels(
        "concat", gy,
        [&](auto t) {
          using T = decltype(t);
          std::vector<T*> dsts;
          for (const Tensor& g : gxs) dsts.push_back(detail::ptr<T>(g));
          kernels::cpu::concat_backward<T>(gy.data<T>(), dsts.data(), inner.data(), count, outer);
        },
        [&](auto) {
          const int64_t row = gy.numel() / (outer > 0 ? outer : 1);
          int64_t col = 0;
          for (int k = 0; k < count; ++k) {
            if (gxs[k].defined())
              kernels::cuda::copy_rows(gxs[k].data<float>(), inner[k], 0, gy.data<float>(), row,
                                       col, outer, inner[k]);
            col += inner[k];
          }
        });
    return gxs;
  });
}

}  // namespace gan::ops
