// Runs the example of docs/engine.md ("Training a tiny model with the API") verbatim: the code
// between the example markers in the doc is included here, so the doc cannot go stale.
#include <catch2/catch.hpp>

#include "core/ops.h"
#include "nn/adam.h"

using namespace gan;

TEST_CASE("the docs/engine.md example trains: loss falls more than 20x", "[autograd][example]") {
  std::vector<double> losses;
#include "tests/core/engine_example.inc"
  REQUIRE(losses.size() == 300);
  INFO("first loss " << losses.front() << ", last loss " << losses.back());
  CHECK(losses.back() < losses.front() / 20);
}
