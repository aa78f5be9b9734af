#include "train/image_pool.h"

#include <stdexcept>

#include "core/autograd.h"
#include "core/ops.h"

namespace gan::train {

Tensor ImagePool::query(const Tensor& images, Rng& rng) {
  Tensor in = images.detach();
  if (capacity_ <= 0) return in;
  std::vector<Tensor> out;
  out.reserve(in.size(0));
  for (int64_t i = 0; i < in.size(0); ++i) {
    Tensor img = in.slice_batch(i, 1);
    if (size() < capacity_) {
      images_.push_back(img);
      out.push_back(img);
    } else if (rng.uniform() < 0.5) {
      size_t k = rng.uniform_int(images_.size());
      out.push_back(images_[k]);
      images_[k] = img;
    } else {
      out.push_back(img);
    }
  }
  if (out.size() == 1) return out[0];
  NoGradGuard no_grad;
  return ops::concat(out, 0);
}

Tensor ImagePool::stacked() const {
  if (images_.empty()) return Tensor();
  NoGradGuard no_grad;
  return images_.size() == 1 ? images_[0].clone() : ops::concat(images_, 0);
}

void ImagePool::restore(const Tensor& stacked) {
  images_.clear();
  if (!stacked.defined()) return;
  if (stacked.ndim() != 4 || stacked.size(0) > capacity_)
    throw std::invalid_argument("ImagePool::restore: expected [n <= " + std::to_string(capacity_) +
                                ", C, H, W], got " + stacked.shape().str());
  for (int64_t i = 0; i < stacked.size(0); ++i) images_.push_back(stacked.slice_batch(i, 1));
}

}  // namespace gan::train
