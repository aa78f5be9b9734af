#include "train/dist/gradient_averager.h"

#include <algorithm>
#include <stdexcept>

#include "core/device.h"

namespace gan::train::dist {

GradientAverager::GradientAverager(std::vector<Tensor> params, Communicator& comm,
                                   size_t bucket_bytes)
    : params_(std::move(params)), comm_(comm) {
  const size_t per_bucket = std::max<size_t>(1, bucket_bytes / sizeof(float));
  std::vector<Piece> bucket;
  size_t used = 0;  // floats in `bucket`
  for (size_t i = 0; i < params_.size(); ++i) {
    if (params_[i].dtype() != DType::f32)
      throw std::invalid_argument("GradientAverager: parameters must be f32");
    const size_t n = static_cast<size_t>(params_[i].numel());
    for (size_t offset = 0; offset < n;) {
      const size_t count = std::min(n - offset, per_bucket - used);
      bucket.push_back({i, offset, count, used});
      offset += count;
      used += count;
      if (used == per_bucket) {
        buckets_.push_back(std::move(bucket));
        bucket.clear();
        used = 0;
      }
    }
    total_ += n;
  }
  if (!bucket.empty()) buckets_.push_back(std::move(bucket));
  if (!params_.empty())
    buffer_ = Tensor::empty({static_cast<int64_t>(std::min(per_bucket, total_))}, DType::f32,
                            params_.front().device());
}

void GradientAverager::copy_in(const std::vector<Piece>& bucket) {
  const Device dev = buffer_.device();
  float* buf = buffer_.data<float>();
  for (const Piece& p : bucket) {
    Tensor g = params_[p.param].grad();
    if (g.defined())
      device::copy(buf + p.at, dev, g.data<float>() + p.offset, g.device(), p.count * sizeof(float));
    else
      device::set_zero(buf + p.at, p.count * sizeof(float), dev);
  }
}

void GradientAverager::copy_out(const std::vector<Piece>& bucket) {
  const Device dev = buffer_.device();
  const float* buf = buffer_.data<float>();
  for (const Piece& p : bucket) {
    Tensor g = params_[p.param].grad();
    if (g.defined())
      device::copy(g.data<float>() + p.offset, g.device(), buf + p.at, dev, p.count * sizeof(float));
  }
}

void GradientAverager::average() {
  if (!comm_.distributed()) return;
  const bool host_memory = buffer_.device() == Device::cpu || device::cuda_emulated();
  for (const auto& bucket : buckets_) {
    copy_in(bucket);
    // MPI reads the buffer on the host (the cpu device, or the emulated cuda device whose memory
    // is host memory): wait for the copies. NCCL runs on the engine's stream, after them.
    if (host_memory) device::synchronize();
    const size_t n = bucket.back().at + bucket.back().count;
    comm_.average(buffer_.data<float>(), n, buffer_.device());
    copy_out(bucket);
  }
}

}  // namespace gan::train::dist
