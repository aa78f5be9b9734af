// The image history of Shrivastava et al. used by CycleGAN: the discriminator sees fakes drawn
// from the last `capacity` generated images instead of only the newest, which damps oscillation.
// Per image: while the pool is filling, the new image is stored and returned; afterwards, with
// probability 1/2 a random stored image is returned and replaced by the new one, otherwise the new
// image is returned. Capacity 0 disables the pool (query returns its input).
#pragma once
#include <vector>

#include "core/rng.h"
#include "core/tensor.h"

namespace gan::train {

class ImagePool {
 public:
  explicit ImagePool(int capacity = 50) : capacity_(capacity) {}

  // images [N, C, H, W] (detached); returns [N, C, H, W] on the same device, cut from the graph.
  // The coin flips and indices come from rng.
  Tensor query(const Tensor& images, Rng& rng);

  int capacity() const { return capacity_; }
  int size() const { return static_cast<int>(images_.size()); }
  // The stored images as one [size, C, H, W] tensor (undefined when empty), for checkpoints.
  Tensor stacked() const;
  // Replaces the contents with the images of [n, C, H, W] (n <= capacity).
  void restore(const Tensor& stacked);

 private:
  int capacity_;
  std::vector<Tensor> images_;  // each [1, C, H, W]
};

}  // namespace gan::train
