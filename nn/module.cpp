#include "nn/module.h"

namespace gan::nn {

size_t Module::register_parameter(std::string name, Tensor t) {
  t.set_requires_grad(true);
  params_.emplace_back(std::move(name), std::move(t));
  return params_.size() - 1;
}

void Module::collect(const std::string& prefix, std::vector<NamedTensor>& out) const {
  for (const auto& [name, t] : params_) out.emplace_back(prefix + name, t);
  for (const auto& [name, child] : children_) child->collect(prefix + name + ".", out);
}

std::vector<Module::NamedTensor> Module::named_parameters() const {
  std::vector<NamedTensor> out;
  collect("", out);
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& nt : named_parameters()) out.push_back(std::move(nt.second));
  return out;
}

int64_t Module::parameter_count() const {
  int64_t n = 0;
  for (const auto& nt : named_parameters()) n += nt.second.numel();
  return n;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& c : children_) c.second->train(on);
}

void Module::to(Device d) {
  for (auto& p : params_) {
    if (p.second.device() == d) continue;
    Tensor moved = p.second.detach().to(d);
    moved.set_requires_grad(true);
    p.second = moved;
  }
  for (auto& c : children_) c.second->to(d);
}

void init_parameters(Module& root, Rng& g, double stddev) {
  root.reset_parameters(g, stddev);
  for (auto& c : root.children()) init_parameters(*c.second, g, stddev);
}

}  // namespace gan::nn
