// dropout with a Philox mask drawn from one Generator stream. Kernel: kernels/cpu/dropout.h.
// The mask is a pure function of (seed, stream, element index), so the backward recomputes it
// rather than keeping a mask buffer alive in the graph.
#include <stdexcept>
#include <string>

#include "core/ops.h"
#include "core/ops/dispatch.h"
#include "kernels/common/philox.h"
#include "kernels/cpu/dropout.h"
#include "kernels/cuda/dropout.h"

namespace gan::ops {
namespace {

// out = in with the (seed, stream) mask applied and kept values scaled.
void apply_mask(const Tensor& in, const Tensor& out, uint64_t seed, uint64_t stream,
                uint32_t threshold, double scale) {
  detail::run_kernels(
      "dropout", in,
      [&](auto t) {
        using T = decltype(t);
        kernels::cpu::dropout_apply<T>(in.data<T>(), out.data<T>(), in.numel(), seed, stream,
                                       threshold, static_cast<T>(scale));
      },
      [&](auto) {
        kernels::cuda::dropout_apply(in.data<float>(), out.data<float>(), in.numel(), seed,
                                     stream, threshold, static_cast<float>(scale));
      });
}

}  // namespace

Tensor dropout(const Tensor& x, double p, bool training, Generator& g) {
  if (!x.defined()) throw std::invalid_argument("dropout: undefined tensor");
  if (!(p >= 0.0 && p <= 1.0))
    throw std::invalid_argument("dropout: probability must be in [0, 1], got " + std::to_string(p));
  // The identity returns x itself (as PyTorch does): gradients flow through unchanged.
  if (!training || p == 0.0) return x;

  const uint64_t seed = g.seed();
  const uint64_t stream = g.next_stream();
  const uint32_t threshold = rng::drop_threshold24(p);
  const double scale = p == 1.0 ? 0.0 : 1.0 / (1.0 - p);  // p == 1: everything dropped
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  apply_mask(x, y, seed, stream, threshold, scale);
  return record(y, "dropout", {x}, [=](const Tensor& gy, const std::vector<bool>&) {
    Tensor gx = Tensor::empty(gy.shape(), gy.dtype(), gy.device());
    apply_mask(gy, gx, seed, stream, threshold, scale);
    return std::vector<Tensor>{gx};
  });
}

}  // namespace gan::ops
