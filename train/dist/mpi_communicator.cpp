// The MPI communicator (GAN_HAS_MPI), and make_communicator(), which picks it when the process
// was started by mpirun or srun.
#include <algorithm>
#include <climits>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>

#include "core/error.h"
#include "train/dist/communicator.h"
#include "train/dist/gpu_select.h"
#include "train/dist/nccl_reducer.h"

#if GAN_HAS_MPI
#include <mpi.h>
#endif

namespace gan::train::dist {

bool built_with_mpi() { return GAN_HAS_MPI != 0; }

#if GAN_HAS_MPI
namespace {

void check(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  throw std::runtime_error(std::string(what) + " failed: " + std::string(text, len));
}

class Mpi final : public Communicator {
 public:
  Mpi(const LaunchEnv& env, bool use_cuda) : Communicator(env) {
#if GAN_HAS_CUDA && !GAN_CUDA_EMULATED && !GAN_HAS_NCCL
    if (use_cuda)
      throw std::runtime_error("--device cuda under mpirun/srun needs NCCL, and this build has none: "
                               "install NCCL (nccl.h, libnccl) and reconfigure");
#endif
    int provided = 0;
    // Only the main thread calls MPI (the loader's thread and OpenMP teams never do).
    check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    // Failed calls return an error code, turned into an exception with a readable message.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    check(MPI_Comm_rank(MPI_COMM_WORLD, &env_.rank), "MPI_Comm_rank");
    check(MPI_Comm_size(MPI_COMM_WORLD, &env_.size), "MPI_Comm_size");
    // The ranks sharing this node's memory: local rank and size, whatever the launcher set.
    check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, env_.rank, MPI_INFO_NULL, &node_),
          "MPI_Comm_split_type");
    check(MPI_Comm_rank(node_, &env_.local_rank), "MPI_Comm_rank (node)");
    check(MPI_Comm_size(node_, &env_.local_size), "MPI_Comm_size (node)");
    if (use_cuda) select_local_gpu(env_.local_rank);
#if GAN_HAS_NCCL
    if (use_cuda) nccl_ = std::make_unique<NcclReducer>(MPI_COMM_WORLD, env_.rank, env_.size);
#endif
  }
  ~Mpi() override {
#if GAN_HAS_NCCL
    nccl_.reset();
#endif
    MPI_Comm_free(&node_);
    MPI_Finalize();
  }

  bool distributed() const override { return true; }

  const char* name() const override {
#if GAN_HAS_NCCL
    if (nccl_) return "MPI + NCCL";
#endif
    return "MPI";
  }

  void average(float* data, size_t n, Device device) override {
#if GAN_HAS_CUDA && !GAN_CUDA_EMULATED
    if (device == Device::cuda) {
#if GAN_HAS_NCCL
      if (!nccl_) throw std::logic_error("average: cuda buffers, but NCCL was not set up");
      nccl_->average(data, n);
      return;
#endif
    }
#endif
    // Host memory: the cpu device, and the emulated cuda device, whose "device" buffers are host
    // memory, so MPI reduces them directly.
    (void)device;
    for (size_t done = 0; done < n;) {
      const int count = static_cast<int>(std::min<size_t>(n - done, INT_MAX));
      check(MPI_Allreduce(MPI_IN_PLACE, data + done, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD),
            "MPI_Allreduce");
      done += static_cast<size_t>(count);
    }
    const float scale = 1.0f / static_cast<float>(size());
    for (size_t i = 0; i < n; ++i) data[i] *= scale;
  }

  void sum(std::vector<double>& v) override { reduce(v, MPI_SUM); }
  void max(std::vector<double>& v) override { reduce(v, MPI_MAX); }

  std::vector<uint64_t> allgather(uint64_t value) override {
    std::vector<uint64_t> all(static_cast<size_t>(size()));
    check(MPI_Allgather(&value, 1, MPI_UINT64_T, all.data(), 1, MPI_UINT64_T, MPI_COMM_WORLD),
          "MPI_Allgather");
    return all;
  }

  std::vector<std::string> gather_to_root(const std::string& bytes) override {
    if (bytes.size() > static_cast<size_t>(INT_MAX))
      throw std::runtime_error("gather_to_root: more than 2 GiB from one rank");
    int len = static_cast<int>(bytes.size());
    std::vector<int> lens(static_cast<size_t>(size())), offsets(lens.size());
    check(MPI_Gather(&len, 1, MPI_INT, lens.data(), 1, MPI_INT, 0, MPI_COMM_WORLD), "MPI_Gather");
    std::string all;
    if (is_root()) {
      long long total = 0;
      for (size_t r = 0; r < lens.size(); ++r) {
        offsets[r] = static_cast<int>(total);
        total += lens[r];
      }
      if (total > INT_MAX) throw std::runtime_error("gather_to_root: more than 2 GiB in total");
      all.resize(static_cast<size_t>(total));
    }
    check(MPI_Gatherv(bytes.data(), len, MPI_BYTE, all.data(), lens.data(), offsets.data(),
                      MPI_BYTE, 0, MPI_COMM_WORLD),
          "MPI_Gatherv");
    std::vector<std::string> out;
    if (is_root())
      for (size_t r = 0; r < lens.size(); ++r) out.push_back(all.substr(offsets[r], lens[r]));
    return out;
  }

  void barrier() override { check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier"); }

  [[noreturn]] void abort(int exit_code) override {
    // mpirun then ends every other rank and reports this one.
    MPI_Abort(MPI_COMM_WORLD, exit_code);
    std::_Exit(exit_code);
  }

 private:
  void reduce(std::vector<double>& v, MPI_Op op) {
    check(MPI_Allreduce(MPI_IN_PLACE, v.data(), static_cast<int>(v.size()), MPI_DOUBLE, op,
                        MPI_COMM_WORLD),
          "MPI_Allreduce");
  }

  MPI_Comm node_ = MPI_COMM_NULL;
#if GAN_HAS_NCCL
  std::unique_ptr<NcclReducer> nccl_;
#endif
};

}  // namespace
#endif

std::unique_ptr<Communicator> make_communicator(bool use_cuda) {
  const LaunchEnv env = read_launch_env();
#if GAN_HAS_MPI
  if (env.launched()) return std::make_unique<Mpi>(env, use_cuda);
#else
  if (env.size > 1)
    throw InputError("started as rank " + std::to_string(env.rank) + " of " +
                     std::to_string(env.size) + " (" + env.launcher +
                     "), but this build has no MPI: install libopenmpi-dev (tools/setup.sh) and "
                     "rebuild");
#endif
  (void)use_cuda;
  return make_single_process();
}

}  // namespace gan::train::dist
