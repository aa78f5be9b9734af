// Everything a training run is configured by: the flags of gan_train. Saved as config.json in the
// run dir and in every checkpoint's metadata, so a run can be resumed and inspected.
#pragma once
#include <cstdint>
#include <string>

#include "models/cyclegan.h"

namespace gan::train {

struct TrainConfig {
  // cyclegan: unpaired data (Zhu et al. 2017); pix2pix: paired, co-registered data (Isola et al.
  // 2017; train/data/paired_data.h), one generator A -> B, lambda_l1 weighs its L1 loss.
  std::string mode = "cyclegan";
  std::string data_a, data_b;   // folders of domain A (T1) and B (T2): images, NIfTI volumes, DICOM series
  std::string slice_axis = "axial";  // volumes are sliced along this body axis
  double min_foreground = 0.10;      // volume slices with less foreground are skipped (docs/data.md)
  std::string out;              // run dir
  models::ModelConfig model;    // gen, channels, size (= crop size), ngf, ndf
  int load_size = 286;          // resize before the random crop
  std::string device = "cpu";   // cpu or cuda
  int64_t epochs = 100;         // epochs at the base learning rate
  int64_t decay_epochs = 100;   // epochs of linear decay to 0 after them
  int batch = 1;
  uint64_t seed = 0;
  int64_t max_steps = 0;        // stop after this many steps in total (0 = run all epochs)
  double max_minutes = 0;       // stop at the first step boundary after this much training time (0 = none)
  int save_every = 10;          // epochs between numbered checkpoints (latest is written each epoch)
  int64_t save_every_steps = 0; // steps between extra writes of latest (0 = only at epoch ends)
  bool log_grad_norm = false;   // per-step gradient norms of G and D in losses.csv (and checked)
  int sample_every = 1;         // epochs between sample grids
  int num_samples = 4;          // images per domain in the sample grid, spread evenly over each folder
  int log_every = 50;           // steps between progress lines when stdout is not a terminal
  int threads = 0;              // CPU threads (0 = all cores)
  std::string gan_loss = "bce";  // bce or lsgan
  int pool = 50;                // image pool size (0 = off: the discriminators see the newest fakes)
  double lr = 2e-4, beta1 = 0.5, beta2 = 0.999;
  double lambda_cycle = 10.0, lambda_identity = 0.5;
  // The structure term (train/cyclegan_step.h): none, ssim, ngc or ngf. NGF at weight 5 by default:
  // on the phantom it raised foreground SSIM and edge_corr over the seed recipe at equal PSNR, with
  // two seeds (docs/quality.md, "Choosing the default").
  std::string structure_loss = "ngf";
  double lambda_structure = 5.0;  // weight of the structure terms
  double lambda_l1 = 100.0;     // pix2pix only

  // Throws std::invalid_argument naming the flag of the first bad value.
  void validate() const;
  std::string to_json() const;  // pretty-printed
  // Throws gan::InputError("<what>: ...") for malformed JSON or missing/mistyped fields.
  static TrainConfig from_json(const std::string& json, const std::string& what);
};

}  // namespace gan::train
