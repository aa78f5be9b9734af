// gan_train with fault switches, for the tests that run training as a separate process (crash
// safety, data-parallel ranks). Production gan_train has no such switches: the faults come in
// through the trainer's test hooks, set here from the environment.
//   GAN_FAULT_NAN_AT_STEP=K     a NaN pixel in the batch of step K (training must stop with exit code 3)
//   GAN_FAULT_DIVERGE_RANK=R    rank R of a data-parallel run changes one weight after step 1 (the
//                               parameter hash check must stop the run before a checkpoint)
#include <cmath>
#include <cstdlib>

#include "tools/train_main.h"
#include "train/dist/launch_env.h"
#include "train/trainer.h"

int main(int argc, char** argv) {
  return gan_train_main(argc, argv, [](gan::train::Trainer& trainer) {
    if (const char* e = std::getenv("GAN_FAULT_NAN_AT_STEP")) {
      const int64_t nan_step = std::atoll(e);
      trainer.set_batch_hook([nan_step](int64_t step, gan::train::UnpairedLoader::Batch& batch) {
        if (step == nan_step && batch.a.numel() > 0) batch.a.data<float>()[0] = std::nanf("");
      });
    }
    if (const char* e = std::getenv("GAN_FAULT_DIVERGE_RANK")) {
      const int rank = std::atoi(e);
      trainer.set_after_step_hook([rank](int64_t step, gan::models::CycleGAN& nets) {
        if (step != 1 || gan::train::dist::read_launch_env().rank != rank) return;
        gan::Tensor w = nets.named_parameters().front().second;
        std::vector<float> v = w.to_vector<float>();
        v[0] += 1e-3f;
        w.copy_from(gan::Tensor::from_vector(v, w.shape()));
      });
    }
  });
}
