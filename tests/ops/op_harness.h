// The op-test harness. An op's test file lists cases (input shapes, how to call the op, and a
// naive loop reference written plainly in the test); the harness runs the same checks on every
// case:
//   check_forward:  float64 and float32 results against the float64 reference loop;
//   check_gradient: backward() against central finite differences, all in float64;
//   check_device:   the cuda device (emulated in CI, real on a GPU) against the cpu, forward and
//                   every gradient, on fresh random inputs with new buffers poisoned with NaN.
// Each op's test file publishes its case list with GAN_OP_CASES(op, cases); the op table
// (tests/ops/test_op_table.cpp) lists every op and turns each case list into the three Catch2
// test cases with GAN_OP_TESTS, and `test_ops "[perf]"` times every case on each device.
#pragma once
#include <catch2/catch.hpp>
#include <functional>
#include <string>
#include <vector>

#include "core/ops.h"
#include "core/tensor.h"

namespace gan::test {

struct InputSpec {
  Shape shape;
  double lo = -1.0, hi = 1.0;  // uniform range of the random values
  // Keep values at least this far from kinks at 0 (relu, abs, l1): finite differences across a
  // kink are meaningless.
  double min_abs = 0.0;
  bool differentiable = true;  // false: no gradient is checked for this input (e.g. a target)
};

using OpFn = std::function<Tensor(const std::vector<Tensor>&)>;

struct OpCase {
  std::string name;               // what distinguishes the case, e.g. "k3 s2 p1 13x11"
  std::vector<InputSpec> inputs;
  OpFn op;         // calls the op under test
  OpFn reference;  // naive loops over float64 cpu tensors (data<double>()), no engine ops
  double f32_tolerance = 2e-6;    // relative L2 error of the float32 forward
  double grad_tolerance = 1e-6;   // relative L2 error of float64 gradients vs finite differences
  bool check_device = true;       // false: op has no cuda kernel in this case
};

// Random inputs for a case (fresh values for each seed).
std::vector<Tensor> make_inputs(const OpCase& c, DType t, uint64_t seed);
// Relative L2 error ||a - b|| / max(||b||, 1e-30); NaNs give infinity.
double rel_l2(const std::vector<double>& a, const std::vector<double>& b);

void check_forward(const OpCase& c);
void check_gradient(const OpCase& c);
void check_device(const OpCase& c);
// Whether a case has an input to differentiate (Adam's has none: it is no graph op).
bool has_gradient(const OpCase& c);

// One row of the op table: the op and its cases.
struct OpEntry {
  const char* op;
  std::vector<OpCase> (*cases)();
};
const std::vector<OpEntry>& op_table();

// Skips the running test (exit code 77, which ctest reports as skipped) without a cuda device.
void require_cuda_device_or_skip();

}  // namespace gan::test

#define GAN_OP_CASES(opname, cases_fn) \
  std::vector<gan::test::OpCase> gan_op_cases_##opname() { return cases_fn(); }

#define GAN_OP_TESTS(opname, cases_fn)                                                      \
  TEST_CASE(#opname " forward", "[" #opname "][forward]") {                                 \
    for (const auto& c : cases_fn()) {                                                      \
      INFO(#opname " case: " << c.name);                                                    \
      gan::test::check_forward(c);                                                          \
    }                                                                                       \
  }                                                                                         \
  TEST_CASE(#opname " gradient", "[" #opname "][gradient]") {                               \
    for (const auto& c : cases_fn()) {                                                      \
      INFO(#opname " case: " << c.name);                                                    \
      gan::test::check_gradient(c);                                                         \
    }                                                                                       \
  }                                                                                         \
  TEST_CASE(#opname " device parity", "[" #opname "][cuda]") {                              \
    gan::test::require_cuda_device_or_skip();                                               \
    for (const auto& c : cases_fn()) {                                                      \
      INFO(#opname " case: " << c.name);                                                    \
      if (c.check_device) gan::test::check_device(c);                                       \
    }                                                                                       \
  }
