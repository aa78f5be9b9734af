// Where this process sits in a job started by mpirun or srun, read from the environment those
// launchers set, before (and without) initialising MPI: a plain `gan_train` sees no such variables
// and never calls MPI_Init, even in a build with MPI.
#pragma once
#include <string>

namespace gan::train::dist {

struct LaunchEnv {
  int rank = 0, size = 1;              // in the whole job
  int local_rank = 0, local_size = 1;  // on this node
  std::string launcher;                // "Open MPI", "PMIx", "PMI", "Slurm", or "" (none)
  bool launched() const { return size > 1 || !launcher.empty(); }
};

// Reads, in order: OMPI_COMM_WORLD_{SIZE,RANK,LOCAL_RANK,LOCAL_SIZE} (Open MPI's mpirun),
// PMIX_RANK with PMIX_SIZE or the Slurm counts (srun --mpi=pmix), PMI_SIZE/PMI_RANK (MPICH's Hydra,
// srun --mpi=pmi2), SLURM_NTASKS/SLURM_PROCID/SLURM_LOCALID with SLURM_TASKS_PER_NODE (srun).
// A batch script's own shell (SLURM_NTASKS set but no SLURM_STEP_ID) counts as no launch.
LaunchEnv read_launch_env();

}  // namespace gan::train::dist
