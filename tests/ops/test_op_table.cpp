// The op table: every op of the engine, each with the case list its test file publishes
// (GAN_OP_CASES in tests/ops/test_<family>.cpp, beside the float64 reference loops; a case holds
// its shapes and tolerances). From this one list the harness runs, per op, the forward, gradient
// and cuda-parity checks (tests/ops/op_harness.h), and `test_ops "[perf]"` times every case on
// each device (tests/ops/test_op_perf.cpp). A new op gets one line here.
#include "tests/ops/op_harness.h"

// X(op): the op's name, as in core/ops.h (adam: nn::Adam::step).
#define GAN_OP_TABLE(X)                                                                        \
  X(add) X(sub) X(mul) X(div) X(affine)                  /* test_binary.cpp */                 \
  X(sum) X(mean)                                         /* test_reduce.cpp */                 \
  X(relu) X(leaky_relu) X(tanh) X(sigmoid) X(abs)        /* test_activation.cpp */             \
  X(dropout)                                             /* test_dropout.cpp */                \
  X(concat)                                              /* test_concat.cpp */                 \
  X(conv2d)                                              /* test_conv2d.cpp */                 \
  X(conv_transpose2d)                                    /* test_conv_transpose2d.cpp */       \
  X(reflection_pad2d)                                    /* test_reflection_pad2d.cpp */       \
  X(instance_norm2d)                                     /* test_instance_norm2d.cpp */        \
  X(instance_norm2d_act)                                 /* test_instance_norm2d_act.cpp */    \
  X(bce_with_logits) X(mse_loss) X(l1_loss)              /* test_losses.cpp */                 \
  X(ssim) X(gradient_correlation) X(gradient_alignment)  /* test_structure.cpp */              \
  X(adam)                                                /* test_adam_step.cpp */

#define GAN_DECLARE_OP_CASES(op) std::vector<gan::test::OpCase> gan_op_cases_##op();
GAN_OP_TABLE(GAN_DECLARE_OP_CASES)

#define GAN_OP_TABLE_TESTS(op) GAN_OP_TESTS(op, gan_op_cases_##op)
GAN_OP_TABLE(GAN_OP_TABLE_TESTS)

namespace gan::test {

const std::vector<OpEntry>& op_table() {
#define GAN_OP_ENTRY(op) OpEntry{#op, gan_op_cases_##op},
  static const std::vector<OpEntry> table = {GAN_OP_TABLE(GAN_OP_ENTRY)};
#undef GAN_OP_ENTRY
  return table;
}

}  // namespace gan::test
