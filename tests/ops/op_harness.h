// The op-test harness. The op table (tests/ops/op_table.cpp) lists every case of every op: input
// shapes and value ranges, the op's parameters, tolerances. Each op's test file gives the op's
// factory (GAN_OP_FACTORY): from a case's parameters, the function that calls the op and a naive
// float64 loop reference written plainly in the test. The harness runs the same checks on every
// case, as three Catch2 test cases per op ("conv2d forward" [conv2d][forward], "conv2d gradient"
// [conv2d][gradient], "conv2d device parity" [conv2d][cuda]):
//   check_forward:  float64 and float32 results against the float64 reference loop;
//   check_gradient: backward() against central finite differences, all in float64;
//   check_device:   the cuda device (emulated in CI, real on a GPU) against the cpu, forward and
//                   every gradient, on fresh random inputs with new buffers poisoned with NaN.
// `test_ops "[perf]"` times every case of the same table on each device (test_op_perf.cpp).
#pragma once
#include <catch2/catch.hpp>
#include <functional>
#include <initializer_list>
#include <map>
#include <set>
#include <string>
#include <utility>
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

  // For the table's rows: in({2, 3, 7, 5}).range(-2, 2).off_zero(0.05).no_grad().
  InputSpec range(double lo_, double hi_) const {
    InputSpec s = *this;
    s.lo = lo_;
    s.hi = hi_;
    return s;
  }
  InputSpec off_zero(double min_abs_) const {
    InputSpec s = *this;
    s.min_abs = min_abs_;
    return s;
  }
  InputSpec no_grad() const {
    InputSpec s = *this;
    s.differentiable = false;
    return s;
  }
};
inline InputSpec in(Shape shape) { return InputSpec{shape}; }

// An op's parameters by name, as the table writes them: {{"stride", 2}, {"pad", 1}}. A factory
// asks for each one it needs (a missing one throws, naming it); the table refuses a case with a
// parameter its op's factory never asked for, so a misspelt name cannot pass unnoticed.
class OpParams {
 public:
  OpParams() = default;
  OpParams(std::initializer_list<std::pair<const std::string, double>> values) : values_(values) {}
  double operator[](const std::string& name) const;
  int integer(const std::string& name) const;  // throws unless the value is a whole number
  bool has(const std::string& name) const { return values_.count(name) > 0; }
  std::vector<std::string> unread() const;
  std::string str() const;  // "stride 2, pad 1"

 private:
  std::map<std::string, double> values_;
  mutable std::set<std::string> read_;
};

using OpFn = std::function<Tensor(const std::vector<Tensor>&)>;

// What an op's factory makes from a case's parameters.
struct OpFns {
  OpFn op;         // calls the op under test
  OpFn reference;  // naive loops over float64 cpu tensors (data<double>()), no engine ops
};
using OpFactory = OpFns (*)(const OpParams&);

struct OpCase {
  std::string name;              // what distinguishes the case, e.g. "k3 s2 p1 13x11"
  std::vector<InputSpec> inputs;
  OpParams params;               // given to the op's factory
  double f32_tolerance;          // relative L2 error of the float32 forward
  double grad_tolerance;         // relative L2 error of float64 gradients vs finite differences
  bool check_device;             // false: the cuda check is skipped (the row says why)
  OpFn op, reference;            // from the factory: op_table() fills them in

  // A row of the table: {name, inputs, params, f32_tolerance, grad_tolerance, check_device}.
  OpCase(std::string name_, std::vector<InputSpec> inputs_, OpParams params_ = {},
         double f32_tolerance_ = 2e-6, double grad_tolerance_ = 1e-6, bool check_device_ = true)
      : name(std::move(name_)),
        inputs(std::move(inputs_)),
        params(std::move(params_)),
        f32_tolerance(f32_tolerance_),
        grad_tolerance(grad_tolerance_),
        check_device(check_device_) {}
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

// One op of the table and its cases.
struct OpEntry {
  std::string op;  // as in core/ops.h (adam: nn::Adam::step)
  std::vector<OpCase> cases;
};
// The op table (tests/ops/op_table.cpp, linked into test_ops only): its rows as written, plain
// data; and the same rows with each case's op and reference made by its op's factory.
const std::vector<OpEntry>& op_table_rows();
const std::vector<OpEntry>& op_table();

// GAN_OP_FACTORY(op, fn) in an op's test file: fn makes the op's OpFns from a case's parameters.
bool register_op_factory(const char* op, OpFactory factory);
const std::map<std::string, OpFactory>& op_factories();

// Fills in every case's op and reference from its op's factory. Throws (failing the op tests)
// when an op has no factory, a factory has no row, or a case has a parameter its factory did not
// ask for.
std::vector<OpEntry> join_with_factories(std::vector<OpEntry> rows);

// Registers, at static initialisation, the three Catch2 test cases of every op of `rows`; they run
// the checks on the op's cases in table() (called at test time, after the factories registered).
// Catch reports them at `file`:`line`, the table's.
using OpTableFn = const std::vector<OpEntry>& (*)();
bool register_op_checks(const std::vector<OpEntry>& rows, OpTableFn table, const char* file,
                        int line);

// Skips the running test (exit code 77, which ctest reports as skipped) without a cuda device.
void require_cuda_device_or_skip();

}  // namespace gan::test

#define GAN_OP_FACTORY(opname, factory_fn) \
  static const bool gan_op_factory_##opname = gan::test::register_op_factory(#opname, factory_fn);
