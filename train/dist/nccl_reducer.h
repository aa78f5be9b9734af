// Averaging of GPU buffers across ranks with NCCL, in the real CUDA build only (GAN_HAS_NCCL):
// the gradients never leave device memory. The NCCL communicator is set up from a unique id that
// rank 0 creates and MPI broadcasts.
#pragma once
#include <cstddef>

#if GAN_HAS_NCCL
#include <mpi.h>

struct ncclComm;

namespace gan::train::dist {

class NcclReducer {
 public:
  NcclReducer(MPI_Comm comm, int rank, int size);  // collective over comm
  ~NcclReducer();
  NcclReducer(const NcclReducer&) = delete;
  NcclReducer& operator=(const NcclReducer&) = delete;
  // In place: data (n floats of device memory) becomes the mean over the ranks. Ordered on the
  // engine's stream, after every kernel that wrote data; returns once the result is in place.
  void average(float* data, size_t n);

 private:
  ncclComm* comm_ = nullptr;
};

}  // namespace gan::train::dist
#endif
