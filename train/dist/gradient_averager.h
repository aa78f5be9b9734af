// Averages the gradients of one optimizer's parameters across ranks, between backward and the
// optimizer step. The gradients are treated as one flat array, cut into buckets of at most
// bucket_bytes; each bucket is packed into one buffer on the parameters' device, averaged with one
// collective call (Communicator::average), and unpacked. A tensor may span two buckets. Few large
// calls instead of one per tensor: per-call latency is paid ~size/bucket times, not ~#tensors.
#pragma once
#include <cstddef>
#include <vector>

#include "core/tensor.h"
#include "train/dist/communicator.h"

namespace gan::train::dist {

constexpr size_t kDefaultBucketBytes = size_t(16) << 20;  // 16 MiB

class GradientAverager {
 public:
  GradientAverager(std::vector<Tensor> params, Communicator& comm,
                   size_t bucket_bytes = kDefaultBucketBytes);
  // After backward: every parameter's gradient becomes the mean over the ranks. A parameter
  // without a gradient counts as zeros and keeps none (the same graph runs on every rank).
  void average();
  size_t bytes_per_call() const { return total_ * sizeof(float); }  // all buckets of average()
  size_t bucket_count() const { return buckets_.size(); }

 private:
  struct Piece {  // floats [offset, offset + count) of params_[param]'s gradient, at `at` in a bucket
    size_t param;
    size_t offset, count, at;
  };
  void copy_in(const std::vector<Piece>& bucket);
  void copy_out(const std::vector<Piece>& bucket);

  std::vector<Tensor> params_;
  Communicator& comm_;
  std::vector<std::vector<Piece>> buckets_;
  size_t total_ = 0;
  Tensor buffer_;  // one bucket's floats, on the parameters' device
};

}  // namespace gan::train::dist
