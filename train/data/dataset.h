// Training data for an unpaired image-to-image GAN: two folders of images (domain A, domain B),
// each sample prepared like the CycleGAN reference: grayscale (or RGB), pad to a square with black,
// resize to load_size, random crop to crop_size and random horizontal flip; values in [-1, 1].
//
// Reproducibility: everything random is a pure function of the seed and the position in the
// stream. The order of epoch e is a permutation that depends only on (seed, e, domain); the crop
// and flip of sample k of step s depend only on (seed, epoch, s, k, domain) (k: the index in the
// global batch of a data-parallel run, UnpairedLoader::Shard). A loader started at a
// saved State therefore yields bitwise the same batches as the run that saved it. Paired data
// (pix2pix) uses domain A's order and A's crops and flips for both domains.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/rng.h"
#include "core/tensor.h"
#include "train/data/domain_data.h"
#include "train/io/image_io.h"

namespace gan::train {

struct ImageTransform {
  int load_size = 286;  // side after pad-to-square + resize
  int crop_size = 256;  // side of the random crop (the network input)
  bool train = true;    // false: resize straight to crop_size, no crop, no flip
  int channels = 1;     // 1 = grayscale (BT.601 luma), 3 = RGB (gray files are replicated)
};

// min(n, total) distinct indices spread evenly over [0, total), ascending: the centre of each of
// n equal parts (total 10, n 4 -> 1 3 6 8). Picks the fixed sample images of a training run.
std::vector<size_t> spread_indices(size_t total, int n);

// ---- image preparation (exposed for the tools and the tests) --------------------------------
// Converts to `channels` (1 or 3) channels.
io::Image convert_channels(const io::Image& img, int channels);
// Pads to a square with zeros (black), the image centred; never stretches.
io::Image pad_to_square(const io::Image& img);
// Resizes to width x height: bilinear when enlarging, area averaging when shrinking (no aliasing).
io::Image resize_image(const io::Image& img, int width, int height);
// resize_image(pad_to_square(img), size, size), without building the padded square.
io::Image pad_to_square_resized(const io::Image& img, int size);
// The whole transform of one image: [C, S, S] floats in [-1, 1] (CHW, S = crop_size).
// `rng` supplies the crop offsets and the flip when t.train (unused otherwise).
std::vector<float> transform_image(const io::Image& img, const ImageTransform& t, Rng& rng);

// ---- folders ---------------------------------------------------------------------------------
// Image files (is_image_file_name) directly in `dir`, sorted by name, each checked with a cheap
// header read (format known, size within limits). Unreadable files are skipped with one warning
// line on stderr each, naming the file and the reason. Throws gan::InputError naming the dir if
// it is missing, not a directory, empty, or "<dir>: no readable images".
std::vector<std::string> list_image_files(const std::string& dir);
// The same without the folder checks, and empty instead of an error when there is no image.
std::vector<std::string> find_image_files(const std::string& dir);

// ---- single images for inference --------------------------------------------------------------
// One image file as a [1, C, H, W] f32 cpu tensor in [-1, 1], at its own size (no resizing).
Tensor load_image_tensor(const std::string& path, int channels = 1);
// Saves a [1, C, H, W] (or [C, H, W]) tensor in [-1, 1] (clamped) as a PNG of bit_depth 8 or 16.
// Any device/dtype. Atomic.
void save_image_tensor(const std::string& path, const Tensor& t, int bit_depth = 8);

// ---- the loader ------------------------------------------------------------------------------
class UnpairedLoader {
 public:
  struct State {
    uint64_t seed = 0;
    int64_t epoch = 0;          // epochs completed before the next batch
    int64_t step_in_epoch = 0;  // batches of that epoch already returned
  };
  struct Batch {
    Tensor a, b;                // [batch, C, S, S] f32 cpu, values in [-1, 1]
    int64_t epoch = 0, step_in_epoch = 0;  // position of this batch
  };
  // Data-parallel training (docs/distributed.md): each step's global batch of ranks * batch_size
  // samples is split by rank, so the ranks of one step together read exactly the batch a single
  // process with batch ranks * batch_size reads, with the same crops and flips: rank r's sample k
  // is sample r * batch_size + k of that global batch, augmented with that global index.
  struct Shard {
    int rank, ranks;
  };
  // paired: the two domains hold the same samples in the same order (train/data/paired_data.h);
  // sample i of A comes with sample i of B, both cropped and flipped alike.
  enum class Pairing { unpaired, paired };

  // Samples from two domains (train/data/domain_data.h); starts the background decoder at
  // `start` (as returned by state(); its seed is used). `prefetch` = batches decoded ahead (>= 1).
  UnpairedLoader(std::shared_ptr<const DomainData> a, std::shared_ptr<const DomainData> b,
                 const ImageTransform& t, const State& start, int batch_size = 1, int prefetch = 4,
                 Shard shard = {0, 1}, Pairing pairing = Pairing::unpaired);
  // The same from two folders of 2-D images (no volumes: they need a slice cache folder).
  UnpairedLoader(const std::string& dir_a, const std::string& dir_b, const ImageTransform& t,
                 uint64_t seed, int batch_size = 1, int prefetch = 4);
  UnpairedLoader(const std::string& dir_a, const std::string& dir_b, const ImageTransform& t,
                 const State& start, int batch_size = 1, int prefetch = 4);
  ~UnpairedLoader();  // stops and joins the decoder thread
  UnpairedLoader(const UnpairedLoader&) = delete;
  UnpairedLoader& operator=(const UnpairedLoader&) = delete;

  // max(|A|, |B|) / (ranks * batch_size), at least 1. The shorter list wraps around within an
  // epoch.
  int64_t steps_per_epoch() const { return steps_per_epoch_; }
  int64_t size_a() const { return static_cast<int64_t>(a_->size()); }
  int64_t size_b() const { return static_cast<int64_t>(b_->size()); }
  const DomainData& domain_a() const { return *a_; }
  const DomainData& domain_b() const { return *b_; }
  const ImageTransform& transform() const { return transform_; }
  int batch_size() const { return batch_size_; }  // per rank
  const Shard& shard() const { return shard_; }
  bool paired() const { return pairing_ == Pairing::paired; }

  // The next batch (blocks while it is decoded). A sample that fails to decode throws its
  // gan::InputError here, on the caller's thread.
  Batch next();
  // Position of the batch the next call to next() returns; save it with a checkpoint.
  State state() const { return consumer_state_; }

  // The batch at `pos`, computed synchronously (what next() returns at that position).
  Batch make_batch(const State& pos) const;
  // Index into files_a()/files_b() of sample k (0-based within the epoch) of epoch `epoch`.
  size_t index_a(int64_t epoch, int64_t sample) const;
  size_t index_b(int64_t epoch, int64_t sample) const;

 private:
  void producer_loop(State s);
  State advance(State s) const;
  std::vector<size_t> permutation(int64_t epoch, int domain) const;
  size_t index_in(int domain, int64_t epoch, int64_t sample) const;

  std::shared_ptr<const DomainData> a_, b_;
  ImageTransform transform_;
  int batch_size_ = 1;
  int prefetch_ = 4;
  Shard shard_{0, 1};
  Pairing pairing_ = Pairing::unpaired;
  int64_t steps_per_epoch_ = 1;
  uint64_t consumer_seed_ = 0;  // fixed at construction; read by both threads
  State consumer_state_;        // the consumer thread only

  // Cache of the last permutation per domain (the producer thread only).
  mutable std::mutex perm_mutex_;
  mutable int64_t perm_epoch_[2] = {-1, -1};
  mutable std::vector<size_t> perm_[2];

  std::thread worker_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Batch> queue_;
  std::exception_ptr error_;
  bool stop_ = false;
};

}  // namespace gan::train
