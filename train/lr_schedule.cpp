#include "train/lr_schedule.h"

#include <algorithm>

namespace gan::train {

double LrSchedule::at_epoch(int64_t epoch) const {
  double over = static_cast<double>(std::max<int64_t>(0, epoch + 1 - epochs));
  return std::max(0.0, base * (1.0 - over / static_cast<double>(decay_epochs + 1)));
}

}  // namespace gan::train
