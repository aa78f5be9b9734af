// sum_all: the sum and mean ops. Thread: a grid-stride slice of x summed in order; block: 256
// threads reduce to one partial; a final one-block pass sums the partials (reduce_impl.cuh).
#include "kernels/cuda/reduce.h"
#include "kernels/cuda/reduce_impl.cuh"

namespace gan::kernels::cuda {
namespace {
struct Load {
  const float* x;
  __device__ float operator()(int64_t i) const { return x[i]; }
};
}  // namespace

void sum_all(const float* x, float* y, int64_t n, float scale) {
  reduce_sum(Load{x}, n, scale, y);
}

}  // namespace gan::kernels::cuda
