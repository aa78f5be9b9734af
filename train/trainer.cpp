#include "train/trainer.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "core/autograd.h"
#include "core/device.h"
#include "core/error.h"
#include "core/ops.h"
#include "train/dist/param_hash.h"
#include "train/dist/rank_state.h"
#include "train/io/atomic_file.h"
#include "train/report/image_grid.h"
#include "train/report/progress.h"
#include "train/report/report.h"

namespace gan::train {
namespace fs = std::filesystem;

namespace {

std::string epoch_name(const std::string& dir, const char* stem, int64_t epoch, const char* ext) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s_%03lld", stem, static_cast<long long>(epoch));
  return dir + "/" + buf + ext;
}

// n files spread evenly over the (sorted) folder, resized to the network input without
// augmentation. Evenly spaced rather than the first n: slices of a volume are usually numbered
// in order, and n neighbouring slices would all look alike.
std::vector<Tensor> load_samples(const DomainData& data, int n, const ImageTransform& t,
                                 Device device) {
  ImageTransform fixed = t;
  fixed.train = false;
  Rng unused(0);
  std::vector<Tensor> out;
  for (size_t pick : spread_indices(data.size(), n)) {
    std::vector<float> px = transform_image(data.load(pick), fixed, unused);
    out.push_back(Tensor::from_vector(px, {1, t.channels, t.crop_size, t.crop_size}).to(device));
  }
  return out;
}

// True when every value is finite: x * 0 sums to 0 then, and to NaN if any value is NaN or inf.
bool all_finite(const std::vector<Tensor>& ts) {
  NoGradGuard no_grad;
  for (const Tensor& t : ts)
    if (ops::sum(ops::mul(t, 0.0)).item() != 0.0) return false;
  return true;
}

// Keeps the rows of losses.csv up to `step` (and the header): after a resume, the rows a killed
// run logged past its last checkpoint would otherwise appear twice.
void truncate_csv(const std::string& path, int64_t step) {
  std::ifstream in(path);
  if (!in) return;
  std::string line, kept;
  bool header = true;
  while (std::getline(in, line)) {
    if (!header) {
      char* end = nullptr;
      long long row_step = std::strtoll(line.c_str(), &end, 10);
      if (end == line.c_str() || *end != ',' || row_step > step) continue;
    }
    header = false;
    kept += line + "\n";
  }
  in.close();
  io::write_file_atomic(path, kept);
}

}  // namespace

Trainer::Trainer(const TrainConfig& config, bool resume, std::ostream& log,
                 dist::Communicator* comm)
    : config_(config), log_(log), comm_(comm) {
  if (!comm_) {
    own_comm_ = dist::make_single_process();
    comm_ = own_comm_.get();
  }
  config_.validate();
  device_ = config_.device == "cuda" ? Device::cuda : Device::cpu;
  if (device_ == Device::cuda) device::require_cuda("--device cuda");

  if (root()) {  // the run dir is rank 0's: the other ranks only read its checkpoint
    std::error_code ec;
    fs::create_directories(checkpoint_dir(), ec);
    if (ec) throw InputError(config_.out + ": cannot create run dir: " + ec.message());
    io::remove_stale_temp_files(checkpoint_dir());
    io::remove_stale_temp_files(config_.out);
    fs::create_directories(config_.out + "/samples", ec);
  }

  nn::AdamOptions adam{config_.lr, config_.beta1, config_.beta2, 1e-8, 0.0};
  if (config_.mode == "pix2pix") {
    pix2pix_nets_ = std::make_unique<models::Pix2Pix>(config_.model, config_.seed);
    pix2pix_nets_->to(device_);
    Pix2PixOptions po{parse_gan_loss(config_.gan_loss), config_.lambda_l1};
    pix2pix_step_ = std::make_unique<Pix2PixStep>(*pix2pix_nets_, po, adam);
  } else {
    nets_ = std::make_unique<models::CycleGAN>(config_.model, config_.seed);
    nets_->to(device_);
    StepOptions so{parse_gan_loss(config_.gan_loss), config_.lambda_cycle, config_.lambda_identity};
    so.structure_loss = parse_structure_loss(config_.structure_loss);
    so.lambda_structure = config_.lambda_structure;
    // Each rank's pool draws its own coin flips; rank 0 (and a single process) keeps the seed of
    // runs before data parallelism.
    const uint64_t pool_seed = (config_.seed ^ 0x5851F42D4C957F2Dull) +
                               0x9E3779B97F4A7C15ull * static_cast<uint64_t>(comm_->rank());
    step_ = std::make_unique<CycleGANStep>(*nets_, so, adam, config_.pool, pool_seed);
  }
  setup_data_parallel();
  schedule_ = LrSchedule{config_.lr, config_.epochs, config_.decay_epochs};

  ImageTransform tf;
  tf.load_size = config_.load_size;
  tf.crop_size = config_.model.size;
  tf.channels = config_.model.channels;
  UnpairedLoader::State start{config_.seed, 0, 0};
  if (resume) {
    std::string path = checkpoint_dir() + "/latest.safetensors";
    if (!fs::exists(path)) throw InputError(path + ": no checkpoint to resume from (--resume)");
    TrainingPosition pos =
        is_pix2pix()
            ? load_training_checkpoint(path, *pix2pix_nets_, *pix2pix_step_, comm_->rank(), comm_->size())
            : load_training_checkpoint(path, *nets_, *step_, comm_->rank(), comm_->size());
    global_step_ = pos.global_step;
    start = pos.loader;
    log_ << "resumed from " << path << " at step " << global_step_ << "\n";
  }
  std::shared_ptr<DomainData> data_a, data_b;
  if (is_pix2pix()) {
    PairedDomains pairs = load_pairs();
    data_a = pairs.a;
    data_b = pairs.b;
  } else {
    data_a = load_domain(config_.data_a, "A");
    data_b = load_domain(config_.data_b, "B");
  }
  for (const DomainData* d : {data_a.get(), data_b.get()})
    log_ << "data " << (d == data_a.get() ? "A" : "B") << ": " << d->dir() << ": " << d->size()
         << " samples (" << d->image_count() << " images, " << d->volumes().size() << " volumes)\n";
  loader_ = std::make_unique<UnpairedLoader>(
      data_a, data_b, tf, start, config_.batch, 4, UnpairedLoader::Shard{comm_->rank(), comm_->size()},
      is_pix2pix() ? UnpairedLoader::Pairing::paired : UnpairedLoader::Pairing::unpaired);
  if (comm_->distributed())
    log_ << "data parallel: " << comm_->size() << " ranks (" << comm_->name() << "), batch "
         << config_.batch << " per rank, effective batch " << config_.batch * comm_->size()
         << ", lr " << config_.lr << " (not scaled with the batch), gradients averaged in "
         << average_G_->bucket_count() + average_D_->bucket_count() << " bucket(s) of <= "
         << (dist::kDefaultBucketBytes >> 20) << " MiB per step\n";
  if (!root()) return;  // files and samples are rank 0's
  samples_A_ = load_samples(*data_a, config_.num_samples, tf, device_);
  samples_B_ = load_samples(*data_b, config_.num_samples, tf, device_);

  io::write_file_atomic(config_.out + "/config.json", config_.to_json() + "\n");
  std::string csv_path = config_.out + "/losses.csv";
  bool fresh = !resume || !fs::exists(csv_path);
  if (!fresh) truncate_csv(csv_path, global_step_);
  csv_.open(csv_path, fresh ? std::ios::trunc : std::ios::app);
  if (!csv_) throw InputError(csv_path + ": cannot open for writing");
  if (fresh)
    csv_ << "step,epoch," << (is_pix2pix() ? Pix2PixLosses::csv_header() : StepLosses::csv_header())
         << ",lr,seconds" << (config_.log_grad_norm ? ",grad_norm_G,grad_norm_D" : "")
         << (structure_on() ? std::string(",") + StepLosses::structure_csv_header() : "") << "\n";
  // Open MPI hands ranks a pseudo-terminal even when mpirun's output goes to a file: several
  // ranks always log whole lines.
  tty_ = isatty(fileno(stdout)) != 0 && !comm_->distributed();
}

Trainer::~Trainer() = default;

// Gradient averaging before every update, and dropout masks as this rank's share of the global
// batch; nothing changes for a single process.
void Trainer::setup_data_parallel() {
  if (!comm_->distributed()) return;
  average_G_ = std::make_unique<dist::GradientAverager>(opt_G().params(), *comm_);
  average_D_ = std::make_unique<dist::GradientAverager>(opt_D().params(), *comm_);
  auto average = [this](nn::Adam& opt) { (&opt == &opt_G() ? average_G_ : average_D_)->average(); };
  if (is_pix2pix()) {
    pix2pix_step_->set_batch_share(comm_->rank(), comm_->size());
    pix2pix_step_->set_before_update(average);
  } else {
    step_->set_batch_share(comm_->rank(), comm_->size());
    step_->set_before_update(average);
  }
}

DomainOptions Trainer::domain_options(const char* tag) {
  DomainOptions o;
  o.slice_axis = parse_slice_axis(config_.slice_axis);
  o.min_foreground = config_.min_foreground;
  o.cache_dir = config_.out + "/slice_cache";
  o.log = &log_;
  o.tag = tag;
  return o;
}

// One domain's data. A volume folder builds a slice cache in the run dir: rank 0 builds it
// first, the other ranks then reuse it (they would otherwise write the same files at once).
std::shared_ptr<DomainData> Trainer::load_domain(const std::string& dir, const char* tag) {
  const DomainOptions o = domain_options(tag);
  std::shared_ptr<DomainData> d;
  if (root()) d = std::make_shared<DomainData>(dir, o);
  comm_->barrier();
  if (!root()) d = std::make_shared<DomainData>(dir, o);
  return d;
}

// Both domains of paired data (pix2pix), their caches built by rank 0 first as above.
PairedDomains Trainer::load_pairs() {
  const DomainOptions o = domain_options("");
  PairedDomains d;
  if (root()) d = load_paired_domains(config_.data_a, config_.data_b, o);
  comm_->barrier();
  if (!root()) d = load_paired_domains(config_.data_a, config_.data_b, o);
  return d;
}

// Stops need every rank to stop after the same step (a rank still stepping would wait for the
// others forever): a signal on any rank, or rank 0's time budget, stops all of them.
bool Trainer::all_agree_to_stop(double seconds) {
  std::vector<double> flags = {stop_flag_ ? static_cast<double>(*stop_flag_) : 0.0,
                               root() && config_.max_minutes > 0 &&
                                       seconds >= config_.max_minutes * 60
                                   ? 1.0
                                   : 0.0};
  comm_->max(flags);
  if (flags[0] != 0) stop_signal_ = static_cast<int>(flags[0]);
  return flags[0] != 0 || flags[1] != 0;
}

// Data-parallel ranks apply the same averaged gradients, so their weights must be bit-identical;
// a difference (a nondeterministic reduction, a rank that skipped an update) stops training
// before the checkpoint is written.
void Trainer::check_same_parameters() {
  if (comm_->size() <= 1) return;
  std::vector<Tensor> params;
  for (auto& [name, t] : named_parameters()) params.push_back(t);
  const std::vector<uint64_t> hashes = comm_->allgather(dist::hash_tensors(params));
  for (size_t r = 1; r < hashes.size(); ++r)
    if (hashes[r] != hashes[0]) {
      char buf[200];
      std::snprintf(buf, sizeof buf,
                    "step %lld: the parameters of rank %zu differ from rank 0's (hash %016llx vs "
                    "%016llx): ranks diverged, checkpoint not written",
                    static_cast<long long>(global_step_), r,
                    static_cast<unsigned long long>(hashes[r]),
                    static_cast<unsigned long long>(hashes[0]));
      throw std::runtime_error(buf);
    }
}

int64_t Trainer::total_steps() const {
  return schedule_.total_epochs() * loader_->steps_per_epoch();
}

void Trainer::save_checkpoint(const std::string& path) {
  std::vector<Tensor> params;
  for (auto& [name, t] : named_parameters()) params.push_back(t);
  if (!all_finite(params))
    throw NonFiniteError("step " + std::to_string(global_step_) +
                         ": non-finite weights, checkpoint " + path + " not written");
  check_same_parameters();
  std::string state;
  if (comm_->size() > 1)
    state = dist::to_bytes(is_pix2pix() ? dist::capture_rank_state(*pix2pix_nets_)
                                        : dist::capture_rank_state(*step_, *nets_));
  std::vector<std::string> states = comm_->gather_to_root(state);
  if (!root()) return;
  std::vector<dist::RankState> others;
  for (size_t r = 1; r < states.size(); ++r) others.push_back(dist::rank_state_from_bytes(states[r]));
  const TrainingPosition position{global_step_, loader_->state()};
  if (is_pix2pix())
    save_training_checkpoint(path, config_, *pix2pix_nets_, *pix2pix_step_, position, others);
  else
    save_training_checkpoint(path, config_, *nets_, *step_, position, others);
}

void Trainer::write_samples(const std::string& path, bool add_frame) {
  NoGradGuard no_grad;
  std::vector<std::vector<Tensor>> rows;
  if (is_pix2pix()) {  // input | translated | target: the samples are pairs
    pix2pix_nets_->train(false);
    for (size_t i = 0; i < samples_A_.size() && i < samples_B_.size(); ++i)
      rows.push_back({samples_A_[i], (*pix2pix_nets_->G)(samples_A_[i]), samples_B_[i]});
    pix2pix_nets_->train(true);
  } else {
    nets_->train(false);
    for (const Tensor& a : samples_A_) {
      Tensor fb = (*nets_->G_AB)(a);
      rows.push_back({a, fb, (*nets_->G_BA)(fb)});
    }
    for (const Tensor& b : samples_B_) {
      Tensor fa = (*nets_->G_BA)(b);
      rows.push_back({b, fa, (*nets_->G_AB)(fa)});
    }
    nets_->train(true);
  }
  io::Image grid = io::make_image_grid(rows);
  io::save_png(path, grid);
  if (add_frame) {
    progress_frames_.push_back(io::to_gray_frame(grid));
    io::save_gif(config_.out + "/samples/progress.gif", progress_frames_, 50);
  }
}

void Trainer::write_report() {
  write_run_report(config_.out, std::string(is_pix2pix() ? "pix2pix" : "CycleGAN") +
                                    " training run: " + fs::path(config_.out).filename().string());
}

void Trainer::log_progress(const std::string& losses, int64_t epoch, double seconds, bool force) {
  if (!tty_ && !force && global_step_ % config_.log_every != 0) return;
  int64_t done = global_step_ - start_step_;
  double ips = seconds > 0 ? done * config_.batch * comm_->size() / seconds : 0.0;
  int64_t target = config_.max_steps > 0 ? std::min(config_.max_steps, total_steps()) : total_steps();
  double eta = done > 0 ? seconds / done * (target - global_step_) : 0.0;
  char buf[400];
  std::snprintf(buf, sizeof buf, "epoch %lld/%lld step %lld/%lld %.2f img/s ETA %s | %s",
                static_cast<long long>(epoch + 1), static_cast<long long>(schedule_.total_epochs()),
                static_cast<long long>(global_step_), static_cast<long long>(target), ips,
                format_duration(eta).c_str(), losses.c_str());
  if (tty_) {
    log_ << "\r" << buf << "\x1b[K" << std::flush;
  } else {
    log_ << buf << "\n" << std::flush;
  }
}

void Trainer::run() {
  int64_t target = total_steps();
  if (config_.max_steps > 0) target = std::min(target, config_.max_steps);
  start_ = std::chrono::steady_clock::now();
  start_step_ = global_step_;
  const int64_t per_epoch = loader_->steps_per_epoch();
  while (global_step_ < target) {
    int64_t epoch = loader_->state().epoch;
    double lr = schedule_.at_epoch(epoch);
    const LoggedStep last = next_logged_step();
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    if (root()) {
      csv_ << global_step_ << "," << epoch << "," << last.csv_row << "," << lr << "," << secs;
      if (config_.log_grad_norm) csv_ << "," << grad_norm_G_ << "," << grad_norm_D_;
      if (!last.csv_tail.empty()) csv_ << "," << last.csv_tail;
      csv_ << "\n";
      log_progress(last.summary, epoch, secs, false);
    }
    bool epoch_end = global_step_ % per_epoch == 0;
    if (epoch_end) {
      int64_t finished = global_step_ / per_epoch;  // epochs completed, 1-based
      csv_.flush();
      if (root() && config_.sample_every > 0 && finished % config_.sample_every == 0)
        write_samples(epoch_name(config_.out + "/samples", "epoch", finished, ".png"), true);
      save_checkpoint(checkpoint_dir() + "/latest.safetensors");
      if (finished % config_.save_every == 0)
        save_checkpoint(epoch_name(checkpoint_dir(), "epoch", finished, ".safetensors"));
      if (root()) write_report();
    } else if (config_.save_every_steps > 0 && global_step_ % config_.save_every_steps == 0) {
      csv_.flush();
      save_checkpoint(checkpoint_dir() + "/latest.safetensors");
    }
    if (all_agree_to_stop(secs)) {
      if (tty_) log_ << "\n";
      if (stop_signal_)
        log_ << "signal " << stop_signal_ << ": stopping after step " << global_step_ << "\n";
      else
        log_ << "time budget of " << config_.max_minutes << " min reached at step "
             << global_step_ << "\n";
      break;
    }
  }
  if (tty_) log_ << "\n";
  csv_.flush();
  if (global_step_ % per_epoch != 0 || start_step_ == global_step_) {
    save_checkpoint(checkpoint_dir() + "/latest.safetensors");
    if (root() && config_.sample_every > 0)
      write_samples(epoch_name(config_.out + "/samples", "step", global_step_, ".png"), true);
    if (root()) write_report();
  }
  log_ << "done: " << global_step_ << " steps, checkpoint " << checkpoint_dir()
       << "/latest.safetensors\n";
}

}  // namespace gan::train
