// relu, leaky_relu, tanh, sigmoid, abs. Kernels: kernels/cpu/activation.h,
// kernels/cuda/activation.h.
#include <stdexcept>
#include <string>

#include "core/ops.h"
#include "core/ops/dispatch.h"
#include "kernels/cpu/activation.h"
#include "kernels/cuda/activation.h"

namespace gan::ops {
namespace {

using kernels::Activation;

// Whether the derivative is cheapest from the output (tanh, sigmoid) or needs the input.
bool backward_reads_output(Activation act) {
  return act == Activation::tanh || act == Activation::sigmoid;
}

Tensor activation(Activation act, const char* name, const Tensor& x, double slope) {
  if (!x.defined()) throw std::invalid_argument(std::string(name) + ": undefined tensor");
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  detail::run_kernels(
      name, x,
      [&](auto t) {
        using T = decltype(t);
        kernels::cpu::activation_forward<T>(act, x.data<T>(), y.data<T>(), x.numel(),
                                            static_cast<T>(slope));
      },
      [&](auto) {
        kernels::cuda::activation_forward(act, x.data<float>(), y.data<float>(), x.numel(),
                                          static_cast<float>(slope));
      });
  if (!needs_graph({x})) return y;
  // Save what the derivative reads: the output (detached: capturing y itself would make a cycle
  // y -> grad_fn -> closure -> y) or the input.
  Tensor saved = backward_reads_output(act) ? y.detach() : x.detach();
  return record(y, name, {x}, [=](const Tensor& gy, const std::vector<bool>&) {
    Tensor gx = Tensor::empty(saved.shape(), gy.dtype(), gy.device());
    const Tensor in = backward_reads_output(act) ? Tensor() : saved;
    const Tensor out = backward_reads_output(act) ? saved : Tensor();
    detail::run_kernels(
        name, gy,
        [&](auto t) {
          using T = decltype(t);
          kernels::cpu::activation_backward<T>(act, detail::ptr<T>(in), detail::ptr<T>(out),
                                               gy.data<T>(), gx.data<T>(), gy.numel(),
                                               static_cast<T>(slope));
        },
        [&](auto) {
          kernels::cuda::activation_backward(act, detail::ptr<float>(in), detail::ptr<float>(out),
                                             gy.data<float>(), gx.data<float>(), gy.numel(),
                                             static_cast<float>(slope));
        });
    return std::vector<Tensor>{gx};
  });
}

}  // namespace

Tensor relu(const Tensor& x) { return activation(Activation::relu, "relu", x, 0.0); }
Tensor leaky_relu(const Tensor& x, double negative_slope) {
  return activation(Activation::leaky_relu, "leaky_relu", x, negative_slope);
}
Tensor tanh(const Tensor& x) { return activation(Activation::tanh, "tanh", x, 0.0); }
Tensor sigmoid(const Tensor& x) { return activation(Activation::sigmoid, "sigmoid", x, 0.0); }
Tensor abs(const Tensor& x) { return activation(Activation::abs, "abs", x, 0.0); }

}  // namespace gan::ops
