// The whole of gan_train's command line as a function, so that a test-only build of the tool
// (tests/tools/gan_train_faults.cpp) can reach the trainer it creates without production code
// reading fault switches.
//   gan_train --data-a T1_DIR --data-b T2_DIR --out RUN_DIR [options]   (--help lists them all)
// Bad input (missing folders, unreadable files, a checkpoint of another architecture, an
// unavailable device) prints one line "gan_train: error: ..." and exits with code 2. A NaN or
// infinite loss/gradient stops training with exit code 3 (the last good checkpoint stays).
// SIGINT/SIGTERM finish the current step, write the latest checkpoint and exit with 130/143,
// printing the command that resumes the run.
// Under mpirun or srun it is one rank of a data-parallel training (docs/distributed.md): a rank
// that fails prints "gan_train: rank R: error: ..." and ends the whole job (MPI_Abort).
#pragma once
#include <functional>

namespace gan::train {
class Trainer;
}

// Called once with the trainer, before training starts (tests install their hooks here).
using TrainerSetup = std::function<void(gan::train::Trainer&)>;
int gan_train_main(int argc, char** argv, const TrainerSetup& setup);
