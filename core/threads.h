// The number of CPU threads the engine computes with: the OpenMP teams of the parallel kernels.
// Eigen's products run single-threaded inside them (EIGEN_DONT_PARALLELIZE, CMakeLists.txt).
// Defaults to all cores (OMP_NUM_THREADS when set).
#pragma once

namespace gan {

void set_num_threads(int n);  // n >= 1; 0 keeps the current count
int num_threads();

}  // namespace gan
