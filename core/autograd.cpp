#include "core/autograd.h"

#include <stdexcept>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "core/ops.h"
#include "core/profile.h"

namespace gan {

static thread_local bool t_grad_enabled = true;
bool grad_enabled() { return t_grad_enabled; }
NoGradGuard::NoGradGuard() : prev_(t_grad_enabled) { t_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { t_grad_enabled = prev_; }

bool needs_graph(const std::vector<Tensor>& inputs) {
  if (!t_grad_enabled) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

Tensor record(Tensor out, const char* name, std::vector<Tensor> inputs, BackwardFn backward) {
  if (!needs_graph(inputs)) return out;
  if (profile::enabled()) profile::add("forward", name, profile::lap());
  auto node = std::make_shared<Node>();
  node->name = name;
  node->inputs = std::move(inputs);
  node->backward = std::move(backward);
  out.impl().requires_grad = true;
  out.impl().grad_fn = std::move(node);
  return out;
}

namespace {

using ImplPtr = std::shared_ptr<TensorImpl>;

// Post-order of the graph below root (inputs before the tensors made from them), iteratively.
// reach[t] is true when t is, or leads to, a leaf that should receive a gradient.
struct Graph {
  std::vector<ImplPtr> order;
  std::unordered_map<const TensorImpl*, bool> reach;
};

Graph topo_sort(const ImplPtr& root, const std::unordered_set<const TensorImpl*>* targets) {
  Graph g;
  std::unordered_set<const TensorImpl*> visited;
  std::vector<std::pair<ImplPtr, size_t>> stack;
  stack.emplace_back(root, 0);
  visited.insert(root.get());
  while (!stack.empty()) {
    auto& [t, next] = stack.back();
    const Node* fn = t->grad_fn.get();
    if (fn && !fn->backward && next == 0 && fn->inputs.empty())
      throw std::logic_error(std::string("backward: the graph through '") + fn->name +
                             "' was already freed; pass retain_graph to backward twice");
    if (fn && next < fn->inputs.size()) {
      const Tensor& in = fn->inputs[next++];
      if (in.defined() && in.requires_grad() && visited.insert(in.impl_ptr().get()).second)
        stack.emplace_back(in.impl_ptr(), 0);
      continue;
    }
    bool r = false;
    if (!fn) r = targets ? targets->count(t.get()) > 0 : true;
    else
      for (const Tensor& in : fn->inputs)
        if (in.defined() && in.requires_grad() && g.reach[in.impl_ptr().get()]) r = true;
    g.reach[t.get()] = r;
    g.order.push_back(t);
    stack.pop_back();
  }
  return g;
}

// Gradients are values: accumulation makes a new tensor, never writes into an existing one,
// so one gradient tensor may safely be shared by several inputs.
void accumulate(std::shared_ptr<TensorImpl>& slot, const Tensor& g) {
  if (!slot) slot = g.impl_ptr();
  else slot = ops::add(Tensor(slot), g).impl_ptr();
}

}  // namespace

void backward(const Tensor& root, const BackwardOptions& options) {
  if (!root.defined()) throw std::invalid_argument("backward: undefined tensor");
  if (root.numel() != 1)
    throw std::invalid_argument("backward: needs a one-element tensor (a loss), got " + root.describe());
  if (!root.requires_grad())
    throw std::invalid_argument("backward: the tensor does not require grad (no input needed one)");

  std::unordered_set<const TensorImpl*> targets;
  for (const Tensor& t : options.inputs) targets.insert(t.impl_ptr().get());
  Graph graph = topo_sort(root.impl_ptr(), options.inputs.empty() ? nullptr : &targets);

  NoGradGuard no_grad;
  std::unordered_map<const TensorImpl*, Tensor> grads;
  grads[root.impl_ptr().get()] = Tensor::ones(root.shape(), root.dtype(), root.device());

  for (auto it = graph.order.rbegin(); it != graph.order.rend(); ++it) {
    ImplPtr t = std::move(*it);  // drop our reference once done, so buffers free as we go
    auto found = grads.find(t.get());
    if (found == grads.end()) continue;
    Tensor g = std::move(found->second);
    grads.erase(found);
    if (!graph.reach[t.get()]) continue;

    Node* fn = t->grad_fn.get();
    if (!fn) {
      accumulate(t->grad, g);
      continue;
    }
    if (t->retains_grad) accumulate(t->grad, g);

    std::vector<bool> needs(fn->inputs.size());
    for (size_t i = 0; i < needs.size(); ++i) {
      const Tensor& in = fn->inputs[i];
      needs[i] = in.defined() && in.requires_grad() && graph.reach[in.impl_ptr().get()];
    }
    const bool profiling = profile::enabled();
    if (profiling) profile::mark();
    std::vector<Tensor> gi = fn->backward(g, needs);
    if (profiling) profile::add("backward", fn->name, profile::lap());
    if (gi.size() != needs.size())
      throw std::logic_error(std::string("backward of '") + fn->name + "' returned " +
                             std::to_string(gi.size()) + " gradients for " +
                             std::to_string(needs.size()) + " inputs");
    for (size_t i = 0; i < needs.size(); ++i) {
      if (!needs[i] || !gi[i].defined()) continue;
      const Tensor& in = fn->inputs[i];
      if (gi[i].shape() != in.shape())
        throw std::logic_error(std::string("backward of '") + fn->name + "': gradient " +
                               gi[i].describe() + " for input " + in.describe());
      auto& slot = grads[in.impl_ptr().get()];
      slot = slot.defined() ? ops::add(slot, gi[i]) : gi[i];
    }
    if (profiling) profile::add("backward", "grad_accumulate", profile::lap());
    if (!options.retain_graph) {  // free saved buffers now; a second pass through here throws
      fn->inputs.clear();
      fn->backward = nullptr;
    }
  }
  if (profile::enabled()) profile::mark();
}

}  // namespace gan
