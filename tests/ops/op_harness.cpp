#include "tests/ops/op_harness.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "core/device.h"
#include "core/rng.h"

namespace gan::test {

double OpParams::operator[](const std::string& name) const {
  const auto it = values_.find(name);
  if (it == values_.end())
    throw std::invalid_argument("op table: the case has no parameter '" + name + "'");
  read_.insert(name);
  return it->second;
}

int OpParams::integer(const std::string& name) const {
  const double v = (*this)[name];
  if (v != std::floor(v))
    throw std::invalid_argument("op table: parameter '" + name + "' must be a whole number");
  return static_cast<int>(v);
}

std::vector<std::string> OpParams::unread() const {
  std::vector<std::string> r;
  for (const auto& [name, value] : values_)
    if (!read_.count(name)) r.push_back(name);
  return r;
}

std::string OpParams::str() const {
  std::ostringstream s;
  for (const auto& [name, value] : values_)
    s << (s.tellp() > 0 ? ", " : "") << name << " " << value;
  return s.str();
}

static std::map<std::string, OpFactory>& mutable_factories() {
  static std::map<std::string, OpFactory> factories;
  return factories;
}

bool register_op_factory(const char* op, OpFactory factory) {
  if (!mutable_factories().emplace(op, factory).second)
    throw std::logic_error(std::string("GAN_OP_FACTORY: op '") + op + "' registered twice");
  return true;
}

const std::map<std::string, OpFactory>& op_factories() { return mutable_factories(); }

std::vector<OpEntry> join_with_factories(std::vector<OpEntry> table) {
  std::set<std::string> listed;
  for (OpEntry& e : table) {
    const auto f = op_factories().find(e.op);
    if (f == op_factories().end())
      throw std::logic_error("op table: op '" + e.op + "' has no GAN_OP_FACTORY in tests/ops");
    listed.insert(e.op);
    for (OpCase& c : e.cases) {
      OpFns fns = f->second(c.params);
      const std::vector<std::string> unread = c.params.unread();
      if (!unread.empty())
        throw std::logic_error("op table: " + e.op + " case '" + c.name + "': parameter '" +
                               unread.front() + "' is not one the op takes");
      c.op = std::move(fns.op);
      c.reference = std::move(fns.reference);
    }
  }
  for (const auto& [op, factory] : op_factories())
    if (!listed.count(op)) throw std::logic_error("op table: op '" + op + "' has no cases");
  return table;
}

namespace {

enum class Check { forward, gradient, device };

// One of an op's three test cases: runs the check on every case of the op.
class OpCheckInvoker : public Catch::ITestInvoker {
 public:
  OpCheckInvoker(OpTableFn table, std::string op, Check check)
      : table_(table), op_(std::move(op)), check_(check) {}
  void invoke() const override {
    if (check_ == Check::device) require_cuda_device_or_skip();
    for (const OpEntry& e : table_()) {
      if (e.op != op_) continue;
      for (const OpCase& c : e.cases) {
        INFO(op_ << " case: " << c.name << (c.params.str().empty() ? "" : " (")
                 << c.params.str() << (c.params.str().empty() ? "" : ")"));
        if (check_ == Check::forward) check_forward(c);
        if (check_ == Check::gradient) check_gradient(c);
        if (check_ == Check::device && c.check_device) check_device(c);
      }
    }
  }

 private:
  OpTableFn table_;
  std::string op_;
  Check check_;
};

}  // namespace

bool register_op_checks(const std::vector<OpEntry>& rows, OpTableFn table, const char* file,
                        int line) {
  const std::pair<Check, const char*> checks[] = {
      {Check::forward, "forward"}, {Check::gradient, "gradient"}, {Check::device, "cuda"}};
  for (const OpEntry& e : rows)
    for (const auto& [check, tag] : checks) {
      const std::string name =
          e.op + (check == Check::device ? " device parity" : " " + std::string(tag));
      const std::string tags = "[" + e.op + "][" + tag + "]";
      // What TEST_CASE expands to; Catch copies the name and tags and owns the invoker.
      Catch::AutoReg registered(new OpCheckInvoker(table, e.op, check),
                                Catch::SourceLineInfo(file, static_cast<std::size_t>(line)),
                                Catch::StringRef(), Catch::NameAndTags{name, tags});
    }
  return true;
}

double rel_l2(const std::vector<double>& a, const std::vector<double>& b) {
  REQUIRE(a.size() == b.size());
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!std::isfinite(a[i]) || !std::isfinite(b[i])) return std::numeric_limits<double>::infinity();
    num += (a[i] - b[i]) * (a[i] - b[i]);
    den += b[i] * b[i];
  }
  return std::sqrt(num) / std::max(std::sqrt(den), 1e-30);
}

std::vector<Tensor> make_inputs(const OpCase& c, DType t, uint64_t seed) {
  Rng g(seed);
  std::vector<Tensor> xs;
  for (const InputSpec& s : c.inputs) {
    Tensor x = Tensor::uniform(s.shape, g, s.lo, s.hi, DType::f64);
    if (s.min_abs > 0) {  // push values out of (-min_abs, min_abs), keeping their sign
      double* p = x.data<double>();
      for (int64_t i = 0; i < x.numel(); ++i)
        if (std::fabs(p[i]) < s.min_abs) p[i] = p[i] < 0 ? p[i] - s.min_abs : p[i] + s.min_abs;
    }
    xs.push_back(t == DType::f64 ? x : x.to(t));
  }
  return xs;
}

static std::vector<Tensor> detached_f64(const std::vector<Tensor>& xs) {
  std::vector<Tensor> r;
  for (const Tensor& x : xs) r.push_back(x.detach().to(DType::f64));
  return r;
}

void check_forward(const OpCase& c) {
  NoGradGuard ng;
  std::vector<Tensor> x64 = make_inputs(c, DType::f64, 1234);
  Tensor ref = c.reference(x64);
  Tensor y64 = c.op(x64);
  REQUIRE(y64.shape() == ref.shape());
  double e64 = rel_l2(y64.to_vector<double>(), ref.to_vector<double>());
  INFO("float64 forward rel. error " << e64);
  CHECK(e64 < 1e-12);

  std::vector<Tensor> x32;
  for (const Tensor& x : x64) x32.push_back(x.to(DType::f32));
  Tensor ref32 = c.reference(detached_f64(x32));  // reference on the float32-rounded inputs
  Tensor y32 = c.op(x32);
  REQUIRE(y32.dtype() == DType::f32);
  double e32 = rel_l2(y32.to_vector<double>(), ref32.to_vector<double>());
  INFO("float32 forward rel. error " << e32);
  CHECK(e32 < c.f32_tolerance);
}

bool has_gradient(const OpCase& c) {
  for (const InputSpec& s : c.inputs)
    if (s.differentiable) return true;
  return false;
}

void check_gradient(const OpCase& c) {
  if (!has_gradient(c)) return;
  std::vector<Tensor> xs = make_inputs(c, DType::f64, 4321);
  for (size_t i = 0; i < xs.size(); ++i)
    if (c.inputs[i].differentiable) xs[i].set_requires_grad(true);
  Tensor y = c.op(xs);
  Rng g(99);
  Tensor w = Tensor::uniform(y.shape(), g, -1.0, 1.0, DType::f64);  // loss = sum(y * w)
  Tensor loss = ops::sum(ops::mul(y, w));
  loss.backward();

  const double eps = 1e-6;
  NoGradGuard ng;
  auto f = [&] { return ops::sum(ops::mul(c.op(xs), w)).item(); };
  for (size_t i = 0; i < xs.size(); ++i) {
    if (!c.inputs[i].differentiable) continue;
    Tensor ga = xs[i].grad();
    REQUIRE(ga.defined());
    REQUIRE(ga.shape() == xs[i].shape());
    double* p = xs[i].data<double>();
    std::vector<double> numeric(static_cast<size_t>(xs[i].numel()));
    for (int64_t j = 0; j < xs[i].numel(); ++j) {
      double keep = p[j];
      p[j] = keep + eps;
      double fp = f();
      p[j] = keep - eps;
      double fm = f();
      p[j] = keep;
      numeric[j] = (fp - fm) / (2 * eps);
    }
    double e = rel_l2(ga.to_vector<double>(), numeric);
    INFO("input " << i << " " << xs[i].describe() << ": gradient rel. error " << e);
    CHECK(e < c.grad_tolerance);
  }
}

void require_cuda_device_or_skip() {
  if (!device::cuda_available()) {
    std::printf("SKIPPED: no CUDA device (%s)\n",
                device::cuda_built() ? "none found" : "build has no cuda backend");
    std::fflush(stdout);
    std::exit(77);
  }
}

void check_device(const OpCase& c) {
  device::set_poison_new_buffers(true);
  struct Restore {
    ~Restore() { device::set_poison_new_buffers(false); }
  } restore;
  for (uint64_t seed : {777u, 778u}) {  // two fresh draws: a match on one input is no accident
    std::vector<Tensor> xc = make_inputs(c, DType::f32, seed);
    std::vector<Tensor> xg;
    for (size_t i = 0; i < xc.size(); ++i) {
      xg.push_back(xc[i].to(Device::cuda));
      if (c.inputs[i].differentiable) {
        xc[i].set_requires_grad(true);
        xg[i].set_requires_grad(true);
      }
    }
    Tensor yc = c.op(xc), yg = c.op(xg);
    REQUIRE(yg.device() == Device::cuda);
    REQUIRE(yg.shape() == yc.shape());
    double ef = rel_l2(yg.to_vector<double>(), yc.to_vector<double>());
    INFO("seed " << seed << ": forward rel. error cuda vs cpu " << ef);
    CHECK(ef < 1e-5);
    if (!has_gradient(c)) continue;

    Rng g(seed + 1);
    Tensor w = Tensor::uniform(yc.shape(), g, -1.0, 1.0);
    ops::sum(ops::mul(yc, w)).backward();
    ops::sum(ops::mul(yg, w.to(Device::cuda))).backward();
    for (size_t i = 0; i < xc.size(); ++i) {
      if (!c.inputs[i].differentiable) continue;
      REQUIRE(xg[i].grad().defined());
      REQUIRE(xg[i].grad().device() == Device::cuda);
      double eg = rel_l2(xg[i].grad().to_vector<double>(), xc[i].grad().to_vector<double>());
      INFO("input " << i << ": gradient rel. error cuda vs cpu " << eg);
      CHECK(eg < 1e-5);
    }
  }
}

}  // namespace gan::test
