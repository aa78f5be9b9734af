// dropout with a Philox mask drawn from one Rng stream. Kernel: kernels/cpu/dropout.h.
// The mask is a pure function of (seed, stream, element index), so the backward recomputes it
// rather than keeping a mask buffer alive in the graph.
#include <stdexcept>
#include <string>

#include "core/autograd.h"
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

thread_local DropoutShard t_shard;

// The scaled keep-mask (scale or 0 per element) of this rank's samples, cut from the mask of the
// global batch (DropoutShard in core/ops.h). Costs ranks times the mask work of the share: small,
// as dropout sits on the narrowest U-Net levels.
Tensor shard_mask(const Tensor& x, const DropoutShard& sh, uint64_t seed, uint64_t stream,
                  uint32_t threshold, double scale) {
  const int64_t local = x.size(0), n = sh.per_rank;
  if (n <= 0 || local % n != 0)
    throw std::invalid_argument("dropout: a batch of " + std::to_string(local) +
                                " is not a whole number of per-rank batches of " + std::to_string(n));
  Shape global = x.shape();
  global.d[0] = local * sh.ranks;
  NoGradGuard no_grad;
  Tensor full = Tensor::empty(global, x.dtype(), x.device());
  apply_mask(Tensor::ones(global, x.dtype(), x.device()), full, seed, stream, threshold, scale);
  std::vector<Tensor> parts;
  for (int64_t s = 0; s < local / n; ++s)
    parts.push_back(full.slice_batch(s * sh.ranks * n + sh.rank * n, n));
  return parts.size() == 1 ? parts[0] : concat(parts, 0);
}

}  // namespace

DropoutShardGuard::DropoutShardGuard(const DropoutShard& shard) : prev_(t_shard) { t_shard = shard; }
DropoutShardGuard::~DropoutShardGuard() { t_shard = prev_; }

Tensor dropout(const Tensor& x, double p, bool training, Rng& g) {
  if (!x.defined()) throw std::invalid_argument("dropout: undefined tensor");
  if (!(p >= 0.0 && p <= 1.0))
    throw std::invalid_argument("dropout: probability must be in [0, 1], got " + std::to_string(p));
  // The identity returns x itself (as PyTorch does): gradients flow through unchanged.
  if (!training || p == 0.0) return x;

  const uint64_t seed = g.seed();
  const uint64_t stream = g.next_stream();
  const uint32_t threshold = rng::drop_threshold24(p);
  const double scale = p == 1.0 ? 0.0 : 1.0 / (1.0 - p);  // p == 1: everything dropped
  // x * mask: the same products as apply_mask (kept values times scale), so the results match
  // the single-process run bit for bit.
  if (!t_shard.trivial()) return mul(x, shard_mask(x, t_shard, seed, stream, threshold, scale));
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  apply_mask(x, y, seed, stream, threshold, scale);
  return record(y, "dropout", {x}, [=](const Tensor& gy, const std::vector<bool>&) {
    Tensor gx = Tensor::empty(gy.shape(), gy.dtype(), gy.device());
    apply_mask(gy, gx, seed, stream, threshold, scale);
    return std::vector<Tensor>{gx};
  });
}

}  // namespace gan::ops
