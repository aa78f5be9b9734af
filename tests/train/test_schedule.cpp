#include <catch2/catch.hpp>

#include "train/lr_schedule.h"

using gan::train::LrSchedule;

TEST_CASE("lr: constant for `epochs`, then linear decay to 0 over `decay_epochs`", "[train]") {
  LrSchedule s{2e-4, 3, 4};
  for (int e = 0; e < 3; ++e) CHECK(s.at_epoch(e) == 2e-4);
  CHECK(s.at_epoch(3) == Approx(2e-4 * 4 / 5));
  CHECK(s.at_epoch(6) == Approx(2e-4 * 1 / 5));
  CHECK(s.at_epoch(7) == Approx(0.0).margin(1e-12));
  CHECK(s.at_epoch(50) == 0.0);
  for (int e = 3; e < 7; ++e) CHECK(s.at_epoch(e) - s.at_epoch(e + 1) == Approx(2e-4 / 5));
  LrSchedule no_decay{1e-3, 2, 0};
  CHECK(no_decay.at_epoch(1) == 1e-3);
}
