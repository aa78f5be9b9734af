// Training checkpoints in safetensors (layout: docs/checkpoint.md). CycleGAN:
//   weights:  "G_AB.<param>", "G_BA.<param>", "D_A.<param>", "D_B.<param>" (PyTorch names)
//   training: "opt_G.exp_avg.<G param>", "opt_G.exp_avg_sq.<G param>", same for opt_D;
//             "pool.A", "pool.B" (image pools, [n, C, H, W], absent when empty)
//   __metadata__: "format" = "gan-cyclegan/1", "config" (TrainConfig JSON), "global_step",
//             "epoch", "step_in_epoch", "loader_seed", "opt_G.step", "opt_D.step",
//             "dropout_rng" and "pool_rng" ("<seed> <stream>"), "world_size" (ranks; absent = 1)
//   data-parallel runs (docs/distributed.md), rank r >= 1: "pool.A.rank<r>", "pool.B.rank<r>",
//             metadata "pool_rng.rank<r>", "dropout_rng.rank<r>" (rank 0 keeps the names above)
// pix2pix: "G_AB.<param>", "D.<param>", the moments of opt_G and opt_D as above, no pools;
//   __metadata__ "format" = "gan-pix2pix/1" and the keys above but the pool states.
// Loading checks every name and shape against the model being filled and names the first tensor
// that is missing or differs, so a checkpoint of another architecture or size is refused clearly.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "models/cyclegan.h"
#include "models/pix2pix.h"
#include "train/cyclegan_step.h"
#include "train/pix2pix_step.h"
#include "train/data/dataset.h"
#include "train/dist/rank_state.h"
#include "train/io/safetensors.h"
#include "train/train_config.h"

namespace gan::train {

struct TrainingPosition {
  int64_t global_step = 0;
  UnpairedLoader::State loader;  // where the data stream continues
};

// Writes everything needed to continue training exactly (atomic). In a data-parallel run rank 0
// writes it, with the pools and generator states of ranks 1.. in other_ranks (in rank order).
void save_training_checkpoint(const std::string& path, const TrainConfig& config,
                              const models::CycleGAN& nets, CycleGANStep& step,
                              const TrainingPosition& position,
                              const std::vector<dist::RankState>& other_ranks = {});

// The same for pix2pix (other_ranks: their dropout generator states; they have no pools).
void save_training_checkpoint(const std::string& path, const TrainConfig& config,
                              const models::Pix2Pix& nets, Pix2PixStep& step,
                              const TrainingPosition& position,
                              const std::vector<dist::RankState>& other_ranks = {});

// Fills nets, optimizers, pools and RNG states from a training checkpoint written for the same
// mode and architecture; returns where training stopped. Throws gan::InputError("<path>: ..."). Rank
// `rank` of a world_size-rank run takes its own pools and generator states; a checkpoint of
// another number of ranks is refused (the per-rank pools cannot be re-sharded exactly).
TrainingPosition load_training_checkpoint(const std::string& path, models::CycleGAN& nets,
                                          CycleGANStep& step, int rank = 0, int world_size = 1);
TrainingPosition load_training_checkpoint(const std::string& path, models::Pix2Pix& nets,
                                          Pix2PixStep& step, int rank = 0, int world_size = 1);

// The TrainConfig stored in a checkpoint's metadata (its mode agrees with the metadata's format).
TrainConfig checkpoint_config(const io::SafetensorsFile& f, const std::string& path);

// Copies the tensors "<prefix>.<name>" of f into net's parameters (names and shapes must match
// exactly; extra tensors under the prefix are an error too).
void load_network(const io::SafetensorsFile& f, const std::string& prefix, nn::Module& net,
                  const std::string& path);

// For inference: builds the generator `name` ("G_AB" or "G_BA") described by the checkpoint's
// config, loads its weights only, and puts it in eval mode. config_out receives the model config.
// A pix2pix checkpoint holds G_AB only: asking it for G_BA is a gan::InputError.
std::shared_ptr<nn::Module> load_generator(const std::string& path, const std::string& name,
                                           models::ModelConfig* config_out = nullptr);

}  // namespace gan::train
