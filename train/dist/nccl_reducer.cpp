#include "train/dist/nccl_reducer.h"

#if GAN_HAS_NCCL
#include <cuda_runtime.h>
#include <nccl.h>

#include <stdexcept>
#include <string>

namespace gan::kernels::cuda {
cudaStream_t stream();  // the engine's one stream (kernels/cuda/launch.h, a CUDA-side header)
}

namespace gan::train::dist {
namespace {

void check(ncclResult_t r, const char* what) {
  if (r != ncclSuccess)
    throw std::runtime_error(std::string("NCCL ") + what + " failed: " + ncclGetErrorString(r));
}

}  // namespace

NcclReducer::NcclReducer(MPI_Comm comm, int rank, int size) {
  ncclUniqueId id;
  if (rank == 0) check(ncclGetUniqueId(&id), "ncclGetUniqueId");
  if (MPI_Bcast(&id, sizeof id, MPI_BYTE, 0, comm) != MPI_SUCCESS)
    throw std::runtime_error("MPI_Bcast of the NCCL unique id failed");
  check(ncclCommInitRank(&comm_, size, id, rank), "ncclCommInitRank");
}

NcclReducer::~NcclReducer() {
  if (comm_) ncclCommDestroy(comm_);
}

void NcclReducer::average(float* data, size_t n) {
  cudaStream_t s = gan::kernels::cuda::stream();
  // ncclAvg (NCCL >= 2.10): the sum scaled by 1/size inside the reduction, one pass.
  check(ncclAllReduce(data, data, n, ncclFloat32, ncclAvg, comm_, s), "ncclAllReduce");
  if (cudaStreamSynchronize(s) != cudaSuccess)
    throw std::runtime_error("cudaStreamSynchronize after ncclAllReduce failed");
}

}  // namespace gan::train::dist
#endif
