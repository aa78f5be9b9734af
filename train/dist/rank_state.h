// The training state that differs between the ranks of a data-parallel run: each rank's image
// pools (the fakes its own share of the batch produced; CycleGAN only) and the state of its pool
// and dropout generators. Rank 0 gathers every rank's RankState and writes them into the checkpoint under
// per-rank names (train/checkpoint.h), so a resumed run continues every rank exactly.
#pragma once
#include <cstdint>
#include <string>

#include "core/tensor.h"
#include "models/cyclegan.h"
#include "models/pix2pix.h"
#include "train/cyclegan_step.h"

namespace gan::train::dist {

struct RankState {
  Tensor pool_a, pool_b;  // [n, C, S, S] f32 on the cpu; undefined while empty
  uint64_t pool_seed = 0, pool_stream = 0;
  uint64_t dropout_seed = 0, dropout_stream = 0;
};

RankState capture_rank_state(CycleGANStep& step, const models::CycleGAN& nets);
// pix2pix has no pools: only the dropout generator's state.
RankState capture_rank_state(const models::Pix2Pix& nets);

// Bytes for Communicator::gather_to_root, and back (throws std::runtime_error when malformed).
std::string to_bytes(const RankState& s);
RankState rank_state_from_bytes(const std::string& bytes);

}  // namespace gan::train::dist
