// The number of CPU threads the engine computes with: OpenMP teams (every parallel kernel) and
// Eigen's own parallel products. Defaults to all cores (OMP_NUM_THREADS when set).
#pragma once

namespace gan {

void set_num_threads(int n);  // n >= 1; 0 keeps the current count
int num_threads();

}  // namespace gan
