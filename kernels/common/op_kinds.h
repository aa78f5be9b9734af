// The variants of the pointwise op families, one definition for the CPU kernels (kernels/cpu/),
// the CUDA launchers (kernels/cuda/) and core/ops, which pass them through unchanged.
#pragma once

namespace gan::kernels {

// relu, leaky_relu, tanh, sigmoid, abs (kernels/*/activation.*).
enum class Activation { relu, leaky_relu, tanh, sigmoid, abs };

// add, sub, mul, div with b broadcast per channel or as a scalar (kernels/*/binary.*).
enum class BinaryOp { add, sub, mul, div };

// The elementwise losses, summed over all elements (kernels/*/losses.*).
enum class Loss { bce_with_logits, mse, l1 };

}  // namespace gan::kernels
