// A training run: data loader, the networks and their step (the four networks of a CycleGAN, or
// with config.mode "pix2pix" the generator and conditional discriminator of pix2pix on paired
// data), the learning-rate schedule and the run dir (<out>/config.json, losses.csv,
// samples/epoch_NNN.png, checkpoints/latest.safetensors and checkpoints/epoch_NNN.safetensors every
// save_every epochs). trainer.cpp: the run; trainer_step.cpp: one step of it.
#pragma once
#include <chrono>
#include <csignal>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "models/cyclegan.h"
#include "models/pix2pix.h"
#include "train/checkpoint.h"
#include "train/cyclegan_step.h"
#include "train/data/dataset.h"
#include "train/data/paired_data.h"
#include "train/dist/communicator.h"
#include "train/dist/gradient_averager.h"
#include "train/io/gif_writer.h"
#include "train/lr_schedule.h"
#include "train/pix2pix_step.h"
#include "train/train_config.h"

namespace gan::train {

// A loss term, gradient or weight turned NaN or infinite: training stops before any checkpoint
// of the bad weights is written ("step 1234: loss term cycle_A is NaN"); gan_train exits with 3.
class NonFiniteError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Trainer {
 public:
  // Builds everything (validating the config: std::invalid_argument; unusable data or run dir:
  // gan::InputError). With resume, continues from <out>/checkpoints/latest.safetensors.
  // With a communicator of several ranks this is one rank of a data-parallel training
  // (docs/distributed.md): config.batch is the per-rank batch, gradients are averaged across
  // ranks before every update, and only rank 0 writes files. nullptr: a single process.
  Trainer(const TrainConfig& config, bool resume, std::ostream& log,
          dist::Communicator* comm = nullptr);
  ~Trainer();

  // Trains until config.max_steps steps in total (if set) or the end of the last epoch; writes
  // checkpoints, samples and logs on the way, and a latest checkpoint at the end.
  void run();
  // One step on the next batch (no files written). Throws NonFiniteError when a loss term (or,
  // with config.log_grad_norm, a gradient norm) is not finite. train_step is the CycleGAN's,
  // train_pix2pix_step pix2pix's (std::logic_error in the other mode).
  StepLosses train_step();
  Pix2PixLosses train_pix2pix_step();
  // A flag that a signal handler sets: run() checks it after every step and, when non-zero,
  // writes latest and returns early; stop_signal() then gives the flag's value (0: not stopped).
  void set_stop_flag(const volatile std::sig_atomic_t* flag) { stop_flag_ = flag; }
  int stop_signal() const { return stop_signal_; }
  // Test seam: hook(step, batch) sees every batch (step counts from 1) before it goes to the
  // device; fault-injection tests corrupt it there.
  using BatchHook = std::function<void(int64_t step, UnpairedLoader::Batch& batch)>;
  void set_batch_hook(BatchHook hook) { batch_hook_ = std::move(hook); }
  // Test seam: called after every optimizer step with the step number (1-based) and the
  // networks, before the step's checks (e.g. to make one rank's weights diverge). CycleGAN only.
  using StepHook = std::function<void(int64_t step, models::CycleGAN& nets)>;
  void set_after_step_hook(StepHook hook) { after_step_hook_ = std::move(hook); }
  // Gradient norms of the last step (with config.log_grad_norm; 0 otherwise).
  double grad_norm_G() const { return grad_norm_G_; }
  double grad_norm_D() const { return grad_norm_D_; }

  int64_t global_step() const { return global_step_; }
  int64_t total_steps() const;  // of the whole schedule
  bool is_pix2pix() const { return pix2pix_nets_ != nullptr; }
  // The networks and step of the run's mode (the other mode's are a std::logic_error).
  models::CycleGAN& nets();
  CycleGANStep& step();
  models::Pix2Pix& pix2pix_nets();
  Pix2PixStep& pix2pix_step();
  // Every parameter of the run's networks under its checkpoint name.
  std::vector<nn::Module::NamedTensor> named_parameters() const;
  const TrainConfig& config() const { return config_; }
  std::string checkpoint_dir() const { return config_.out + "/checkpoints"; }
  // Throws NonFiniteError (writing nothing) if a weight is not finite. Collective: every rank
  // calls it; the ranks' weights are compared (a mismatch throws) and rank 0 writes the file
  // with every rank's pools and generator states.
  void save_checkpoint(const std::string& path);
  dist::Communicator& comm() { return *comm_; }
  // Writes the sample grid to path and, when add_frame, appends it to samples/progress.gif.
  void write_samples(const std::string& path, bool add_frame = false);
  // Rewrites <out>/report/index.html (losses, samples, configuration).
  void write_report();

 private:
  // A step's losses as losses.csv cells (csv_tail: those after all others, the CycleGAN's
  // structure terms when on) and as the progress line's summary.
  struct LoggedStep {
    std::string csv_row, csv_tail, summary;
  };
  LoggedStep next_logged_step();
  bool structure_on() const { return step_ && step_->options().structure_on(); }
  void log_progress(const std::string& losses, int64_t epoch, double seconds, bool force);
  void setup_data_parallel();
  DomainOptions domain_options(const char* tag);
  std::shared_ptr<DomainData> load_domain(const std::string& dir, const char* tag);
  PairedDomains load_pairs();
  // The next batch on the device, at its epoch's learning rate, after the batch hook.
  std::pair<Tensor, Tensor> next_batch();
  void after_update_checks();  // the gradient norms, with config.log_grad_norm
  nn::Adam& opt_G();
  nn::Adam& opt_D();
  void average_losses(StepLosses& l);
  void average_losses(Pix2PixLosses& l);
  void average_terms(std::initializer_list<double*> terms);  // in place, over the ranks
  bool all_agree_to_stop(double seconds);
  void check_same_parameters();
  bool root() const { return comm_->is_root(); }

  TrainConfig config_;
  std::ostream& log_;
  std::unique_ptr<dist::Communicator> own_comm_;  // the single-process one, when none was given
  dist::Communicator* comm_ = nullptr;
  std::unique_ptr<dist::GradientAverager> average_G_, average_D_;
  Device device_;
  std::unique_ptr<models::CycleGAN> nets_;  // cyclegan mode
  std::unique_ptr<CycleGANStep> step_;
  std::unique_ptr<models::Pix2Pix> pix2pix_nets_;  // pix2pix mode
  std::unique_ptr<Pix2PixStep> pix2pix_step_;
  std::unique_ptr<UnpairedLoader> loader_;
  LrSchedule schedule_;
  int64_t global_step_ = 0;
  std::vector<Tensor> samples_A_, samples_B_;  // fixed, unaugmented, on the device (pix2pix: pairs)
  std::vector<io::GrayFrame> progress_frames_;  // one per sampled epoch (this process's)
  std::ofstream csv_;
  bool tty_ = false;
  std::chrono::steady_clock::time_point start_;
  int64_t start_step_ = 0;
  const volatile std::sig_atomic_t* stop_flag_ = nullptr;
  int stop_signal_ = 0;
  double grad_norm_G_ = 0, grad_norm_D_ = 0;
  BatchHook batch_hook_;
  StepHook after_step_hook_;
};

}  // namespace gan::train
