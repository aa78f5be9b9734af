#include "train/dist/launch_env.h"

#include <cstdlib>

namespace gan::train::dist {
namespace {

// The integer value of an environment variable, or `fallback` when unset or not a number.
int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  long x = std::strtol(v, &end, 10);
  return end != v && x >= 0 ? static_cast<int>(x) : fallback;
}

bool has(const char* name) { return std::getenv(name) != nullptr; }

}  // namespace

LaunchEnv read_launch_env() {
  LaunchEnv e;
  if (has("OMPI_COMM_WORLD_SIZE")) {
    e.launcher = "Open MPI";
    e.size = env_int("OMPI_COMM_WORLD_SIZE", 1);
    e.rank = env_int("OMPI_COMM_WORLD_RANK", 0);
    e.local_rank = env_int("OMPI_COMM_WORLD_LOCAL_RANK", 0);
    e.local_size = env_int("OMPI_COMM_WORLD_LOCAL_SIZE", 1);
    return e;
  }
  // Slurm's counts, used as the local numbers by the PMI launchers below too.
  const bool slurm_step = has("SLURM_STEP_ID") && has("SLURM_PROCID");
  if (slurm_step) {
    e.size = env_int("SLURM_STEP_NUM_TASKS", env_int("SLURM_NTASKS", 1));
    e.rank = env_int("SLURM_PROCID", 0);
    e.local_rank = env_int("SLURM_LOCALID", 0);
    // SLURM_STEP_TASKS_PER_NODE is "2" or "2(x4)" or "3,2": the first count is this node's when
    // the tasks are spread evenly, the usual layout for training.
    e.local_size = env_int("SLURM_STEP_TASKS_PER_NODE", env_int("SLURM_TASKS_PER_NODE", 1));
    if (e.local_size < 1) e.local_size = 1;
  }
  if (has("PMIX_RANK")) {
    e.launcher = "PMIx";
    e.rank = env_int("PMIX_RANK", e.rank);
    e.size = env_int("PMIX_SIZE", e.size);
    return e;
  }
  if (has("PMI_SIZE")) {
    e.launcher = "PMI";
    e.size = env_int("PMI_SIZE", 1);
    e.rank = env_int("PMI_RANK", 0);
    e.local_rank = env_int("MPI_LOCALRANKID", e.local_rank);
    e.local_size = env_int("MPI_LOCALNRANKS", e.local_size);
    return e;
  }
  if (slurm_step) e.launcher = "Slurm";
  return e;
}

}  // namespace gan::train::dist
