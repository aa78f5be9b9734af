// UnpairedLoader (declared in train/data/dataset.h): epoch permutations, per-sample augmentation
// streams, and the background decoder thread.
#include <algorithm>
#include <stdexcept>

#include "core/error.h"
#include "train/data/dataset.h"

namespace gan::train {
namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// A seed that depends on every value given (order matters), for independent random streams.
uint64_t derive_seed(std::initializer_list<uint64_t> parts) {
  uint64_t h = 0x6A09E667F3BCC909ull;
  for (uint64_t p : parts) h = splitmix64(h ^ splitmix64(p));
  return h;
}

constexpr uint64_t kPermutationTag = 0x5045524D;  // "PERM"
constexpr uint64_t kAugmentTag = 0x41554720;      // "AUG "

}  // namespace

UnpairedLoader::UnpairedLoader(const std::string& dir_a, const std::string& dir_b,
                               const ImageTransform& t, uint64_t seed, int batch_size,
                               int prefetch)
    : UnpairedLoader(dir_a, dir_b, t, State{seed, 0, 0}, batch_size, prefetch) {}

UnpairedLoader::UnpairedLoader(const std::string& dir_a, const std::string& dir_b,
                               const ImageTransform& t, const State& start, int batch_size,
                               int prefetch)
    : UnpairedLoader(std::make_shared<DomainData>(dir_a, DomainOptions{}),
                     std::make_shared<DomainData>(dir_b, DomainOptions{}), t, start, batch_size,
                     prefetch) {}

UnpairedLoader::UnpairedLoader(std::shared_ptr<const DomainData> a,
                               std::shared_ptr<const DomainData> b, const ImageTransform& t,
                               const State& start, int batch_size, int prefetch, Shard shard,
                               Pairing pairing)
    : a_(std::move(a)),
      b_(std::move(b)),
      transform_(t),
      batch_size_(batch_size),
      prefetch_(prefetch),
      shard_(shard),
      pairing_(pairing) {
  if (!a_ || !b_) throw std::invalid_argument("UnpairedLoader: missing domain data");
  if (batch_size < 1) throw std::invalid_argument("UnpairedLoader: batch_size must be >= 1");
  if (prefetch < 1) throw std::invalid_argument("UnpairedLoader: prefetch must be >= 1");
  if (shard.ranks < 1 || shard.rank < 0 || shard.rank >= shard.ranks)
    throw std::invalid_argument("UnpairedLoader: need 0 <= rank < ranks");
  if (paired() && a_->size() != b_->size())
    throw std::invalid_argument("UnpairedLoader: paired domains must have the same size");
  if (t.channels != 1 && t.channels != 3)
    throw std::invalid_argument("UnpairedLoader: channels must be 1 or 3");
  if (t.crop_size < 1 || (t.train && t.crop_size > t.load_size))
    throw std::invalid_argument("UnpairedLoader: need 1 <= crop_size <= load_size");
  const int64_t longest = static_cast<int64_t>(std::max(a_->size(), b_->size()));
  steps_per_epoch_ = std::max<int64_t>(1, longest / (int64_t{batch_size_} * shard_.ranks));
  if (start.epoch < 0 || start.step_in_epoch < 0 || start.step_in_epoch >= steps_per_epoch_)
    throw InputError("data position (epoch " + std::to_string(start.epoch) + ", step " +
                     std::to_string(start.step_in_epoch) + ") is outside an epoch of " +
                     std::to_string(steps_per_epoch_) + " steps: did the data folders change?");
  consumer_seed_ = start.seed;
  consumer_state_ = start;
  worker_ = std::thread([this, start] { producer_loop(start); });
}

UnpairedLoader::~UnpairedLoader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

UnpairedLoader::State UnpairedLoader::advance(State s) const {
  if (++s.step_in_epoch >= steps_per_epoch_) {
    s.step_in_epoch = 0;
    ++s.epoch;
  }
  return s;
}

std::vector<size_t> UnpairedLoader::permutation(int64_t epoch, int domain) const {
  const size_t n = domain == 0 ? a_->size() : b_->size();
  std::vector<size_t> p(n);
  for (size_t i = 0; i < n; ++i) p[i] = i;
  Rng g(derive_seed({consumer_seed_, kPermutationTag, static_cast<uint64_t>(epoch),
                           static_cast<uint64_t>(domain)}));
  for (size_t i = n; i > 1; --i) std::swap(p[i - 1], p[g.uniform_int(i)]);
  return p;
}

size_t UnpairedLoader::index_in(int domain, int64_t epoch, int64_t sample) const {
  std::lock_guard<std::mutex> lock(perm_mutex_);
  if (perm_epoch_[domain] != epoch) {
    perm_[domain] = permutation(epoch, domain);
    perm_epoch_[domain] = epoch;
  }
  const auto& p = perm_[domain];
  return p[static_cast<size_t>(sample) % p.size()];
}

size_t UnpairedLoader::index_a(int64_t epoch, int64_t sample) const { return index_in(0, epoch, sample); }
size_t UnpairedLoader::index_b(int64_t epoch, int64_t sample) const {
  return index_in(paired() ? 0 : 1, epoch, sample);
}

UnpairedLoader::Batch UnpairedLoader::make_batch(const State& pos) const {
  const int64_t B = batch_size_, C = transform_.channels, S = transform_.crop_size;
  const size_t per_sample = static_cast<size_t>(C * S * S);
  std::vector<float> a(B * per_sample), b(B * per_sample);
  const int64_t global_batch = B * shard_.ranks;
  for (int64_t k = 0; k < B; ++k) {
    const int64_t in_global = shard_.rank * B + k;  // index within the step's global batch
    const int64_t sample = pos.step_in_epoch * global_batch + in_global;
    for (int domain = 0; domain < 2; ++domain) {
      const DomainData& data = domain == 0 ? *a_ : *b_;
      // Paired samples take A's index and A's augmentation stream: the same crop and flip.
      const int stream = paired() ? 0 : domain;
      const size_t index = index_in(stream, pos.epoch, sample);
      Rng rng(derive_seed({consumer_seed_, kAugmentTag, static_cast<uint64_t>(pos.epoch),
                                 static_cast<uint64_t>(pos.step_in_epoch),
                                 static_cast<uint64_t>(in_global), static_cast<uint64_t>(stream)}));
      std::vector<float> x = transform_image(data.load(index), transform_, rng);
      std::copy(x.begin(), x.end(), (domain == 0 ? a : b).begin() + k * per_sample);
    }
  }
  Batch batch;
  batch.a = Tensor::from_vector(a, Shape{B, C, S, S});
  batch.b = Tensor::from_vector(b, Shape{B, C, S, S});
  batch.epoch = pos.epoch;
  batch.step_in_epoch = pos.step_in_epoch;
  return batch;
}

void UnpairedLoader::producer_loop(State s) {
  try {
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [&] { return stop_ || static_cast<int>(queue_.size()) < prefetch_; });
        if (stop_) return;
      }
      Batch batch = make_batch(s);  // decoded without holding the lock
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stop_) return;
        queue_.push_back(std::move(batch));
      }
      cv_.notify_all();
      s = advance(s);
    }
  } catch (...) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      error_ = std::current_exception();
    }
    cv_.notify_all();
  }
}

UnpairedLoader::Batch UnpairedLoader::next() {
  Batch batch;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] { return !queue_.empty() || error_; });
    if (queue_.empty()) std::rethrow_exception(error_);  // stays set: later calls throw too
    batch = std::move(queue_.front());
    queue_.pop_front();
  }
  cv_.notify_all();
  consumer_state_ = advance(consumer_state_);
  return batch;
}

}  // namespace gan::train
