// Reverse-mode automatic differentiation.
//
// Every differentiable op computes its output, then calls record() with its inputs and a backward
// closure. If gradients are enabled and some input requires a gradient, the output gets a Node
// (grad_fn) holding the inputs and the closure; otherwise nothing is kept. backward() walks the
// graph from a scalar in reverse topological order (iteratively, so depth is unbounded), calls
// each Node's closure with the gradient of its output, and accumulates into the inputs.
#pragma once
#include <functional>
#include <vector>

#include "core/tensor.h"

namespace gan {

// Gradients of one node's inputs, given the gradient of its output. needs[i] says whether input i
// wants a gradient; the closure may leave the other entries undefined (and skip their work).
using BackwardFn =
    std::function<std::vector<Tensor>(const Tensor& grad_out, const std::vector<bool>& needs)>;

struct Node {
  const char* name = "";
  std::vector<Tensor> inputs;  // inputs that take part in autograd (same order as the op's args)
  BackwardFn backward;
};

// Attaches a Node to `out` when gradients are enabled and any input requires grad; returns out.
// Undefined tensors in `inputs` are allowed (e.g. an absent bias) and never get gradients.
Tensor record(Tensor out, const char* name, std::vector<Tensor> inputs, BackwardFn backward);

// True when some input requires grad and grad mode is on (ops use it to skip saving buffers).
bool needs_graph(const std::vector<Tensor>& inputs);

bool grad_enabled();
class NoGradGuard {  // RAII: disables graph recording in this thread while alive
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool prev_;
};

struct BackwardOptions {
  // Only these leaves receive gradients; empty = every leaf that requires grad. Paths that reach
  // none of them are not computed at all (the CycleGAN step uses this to take the generator
  // and discriminator gradients from one shared forward pass).
  std::vector<Tensor> inputs;
  bool retain_graph = false;  // keep the graph for another backward() through it
};

// Reverse pass from a one-element tensor; its gradient is seeded with 1.
void backward(const Tensor& root, const BackwardOptions& options = {});

}  // namespace gan
