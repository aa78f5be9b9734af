// The one-rank communicator: every collective is the identity.
#include <cstdlib>

#include "train/dist/communicator.h"

namespace gan::train::dist {
namespace {

class SingleProcess final : public Communicator {
 public:
  SingleProcess() : Communicator(LaunchEnv{}) {}
  const char* name() const override { return "single process"; }
  void average(float*, size_t, Device) override {}
  void sum(std::vector<double>&) override {}
  void max(std::vector<double>&) override {}
  std::vector<uint64_t> allgather(uint64_t value) override { return {value}; }
  std::vector<std::string> gather_to_root(const std::string& bytes) override { return {bytes}; }
  void barrier() override {}
  [[noreturn]] void abort(int exit_code) override { std::exit(exit_code); }
};

}  // namespace

std::unique_ptr<Communicator> make_single_process() { return std::make_unique<SingleProcess>(); }

}  // namespace gan::train::dist
