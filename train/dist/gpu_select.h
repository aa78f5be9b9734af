// Maps the ranks of a node onto its GPUs: local rank r uses GPU r % (GPUs visible).
#pragma once

namespace gan::train::dist {

// Makes GPU local_rank % count current for this process, before any CUDA memory is allocated.
// Returns its index; -1 where the build has no real CUDA device (cpu or emulated builds).
int select_local_gpu(int local_rank);

}  // namespace gan::train::dist
