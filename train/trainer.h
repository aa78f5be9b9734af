// A training run: data loader, the four networks, the step, the learning-rate schedule and the
// run dir (<out>/config.json, losses.csv, samples/epoch_NNN.png, checkpoints/latest.safetensors
// and checkpoints/epoch_NNN.safetensors every save_every epochs).
#pragma once
#include <chrono>
#include <fstream>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "models/cyclegan.h"
#include "train/checkpoint.h"
#include "train/cyclegan.h"
#include "train/dataset.h"
#include "train/gif_writer.h"
#include "train/lr_schedule.h"
#include "train/train_config.h"

namespace gan::train {

class Trainer {
 public:
  // Builds everything (validating the config: std::invalid_argument; unusable data or run dir:
  // gan::InputError). With resume, continues from <out>/checkpoints/latest.safetensors.
  Trainer(const TrainConfig& config, bool resume, std::ostream& log);
  ~Trainer();

  // Trains until config.max_steps steps in total (if set) or the end of the last epoch; writes
  // checkpoints, samples and logs on the way, and a latest checkpoint at the end.
  void run();
  // One step on the next batch (no files written).
  StepLosses train_step();

  int64_t global_step() const { return global_step_; }
  int64_t total_steps() const;  // of the whole schedule
  models::CycleGAN& nets() { return *nets_; }
  CycleGANStep& step() { return *step_; }
  const TrainConfig& config() const { return config_; }
  std::string checkpoint_dir() const { return config_.out + "/checkpoints"; }
  void save_checkpoint(const std::string& path);
  // Writes the sample grid to path and, when add_frame, appends it to samples/progress.gif.
  void write_samples(const std::string& path, bool add_frame = false);
  // Rewrites <out>/report/index.html (losses, samples, configuration).
  void write_report();

 private:
  void log_progress(const StepLosses& l, int64_t epoch, double seconds, bool force);

  TrainConfig config_;
  std::ostream& log_;
  Device device_;
  std::unique_ptr<models::CycleGAN> nets_;
  std::unique_ptr<CycleGANStep> step_;
  std::unique_ptr<UnpairedLoader> loader_;
  LrSchedule schedule_;
  int64_t global_step_ = 0;
  std::vector<Tensor> samples_A_, samples_B_;  // fixed, unaugmented, on the device
  std::vector<io::GrayFrame> progress_frames_;  // one per sampled epoch (this process's)
  std::ofstream csv_;
  bool tty_ = false;
  std::chrono::steady_clock::time_point start_;
  int64_t start_step_ = 0;
};

}  // namespace gan::train
