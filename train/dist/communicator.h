// The ranks of one data-parallel training and the few collective operations it needs. Every
// rank calls the collectives in the same order with the same sizes (the training loop is the same
// program on every rank); a rank that fails calls abort(), which ends the whole job.
//
// Implementations: SingleProcess (one rank: every collective is the identity), Mpi (a job started
// by mpirun or srun, in a build where CMake found MPI: GAN_HAS_MPI). make_communicator() picks one.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/device.h"
#include "train/dist/launch_env.h"

namespace gan::train::dist {

class Communicator {
 public:
  virtual ~Communicator() = default;
  int rank() const { return env_.rank; }
  int size() const { return env_.size; }
  int local_rank() const { return env_.local_rank; }
  int local_size() const { return env_.local_size; }
  bool is_root() const { return env_.rank == 0; }
  // True under mpirun/srun, even with one rank (whose collectives then still run, e.g. to
  // exercise the NCCL path on one GPU); false for a single process.
  virtual bool distributed() const { return env_.size > 1; }
  virtual const char* name() const = 0;  // "single process", "MPI", "MPI + NCCL"

  // Averages n floats at data across ranks in place (sum, then times 1/size). data lives on
  // `device`: host memory for cpu (and for the emulated cuda device, whose memory is host
  // memory), GPU memory for real cuda (reduced there by NCCL when the build has it).
  virtual void average(float* data, size_t n, Device device) = 0;
  // Element-wise sum and maximum of a few doubles (losses, flags) across ranks, in place.
  virtual void sum(std::vector<double>& values) = 0;
  virtual void max(std::vector<double>& values) = 0;
  // Every rank's value, in rank order.
  virtual std::vector<uint64_t> allgather(uint64_t value) = 0;
  // Rank 0 receives every rank's bytes (in rank order); the other ranks receive nothing.
  virtual std::vector<std::string> gather_to_root(const std::string& bytes) = 0;
  virtual void barrier() = 0;
  // Ends every rank of the job with exit_code; the caller has printed why.
  [[noreturn]] virtual void abort(int exit_code) = 0;

 protected:
  explicit Communicator(const LaunchEnv& env) : env_(env) {}
  LaunchEnv env_;
};

// The communicator of this process: MPI when launched by mpirun/srun (the environment says so)
// in a build with MPI; a single process otherwise. Launched as several ranks by a build without
// MPI: throws gan::InputError (N copies would otherwise all write the same run dir).
// With use_cuda in a real CUDA build, selects the GPU local_rank % (GPUs on the node) and, with
// NCCL, averages device buffers with it.
std::unique_ptr<Communicator> make_communicator(bool use_cuda);

std::unique_ptr<Communicator> make_single_process();

// Whether this build can run several ranks (found MPI at configure time).
bool built_with_mpi();

}  // namespace gan::train::dist
