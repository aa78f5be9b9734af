// gan_train with fault switches, for the tests that run training as a separate process (crash
// safety, data-parallel ranks). Production gan_train has no such switches: the faults come in
// through the test seams of the trainer and of the atomic file writes, set here from the
// environment.
//   GAN_FAULT_NAN_AT_STEP=K     a NaN pixel in the batch of step K (training must stop with exit code 3)
//   GAN_FAULT_DIVERGE_RANK=R    rank R of a data-parallel run changes one weight after step 1 (the
//                               parameter hash check must stop the run before a checkpoint)
//   GAN_FAULT_ENOSPC_AFTER_BYTES=N  the atomic file writes fail with ENOSPC once they wrote more
//                               than N bytes in all, as a full disk would
//   GAN_TEST_SLOW_CHECKPOINT_WRITE=MS  every atomic file write sleeps MS ms between its complete
//                               temp file and the rename (kills then often land inside a write)
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <memory>

#include "tools/train_main.h"
#include "train/dist/launch_env.h"
#include "train/io/write_fault_for_testing.h"
#include "train/trainer.h"

namespace {

void set_write_faults_from_environment() {
  const char* enospc = std::getenv("GAN_FAULT_ENOSPC_AFTER_BYTES");
  const char* slow = std::getenv("GAN_TEST_SLOW_CHECKPOINT_WRITE");
  const bool full_disk = enospc && *enospc;
  const bool slow_writes = slow && *slow;
  if (!full_disk && !slow_writes) return;
  const int64_t limit = full_disk ? std::atoll(enospc) : 0;
  const useconds_t sleep_us = slow_writes ? static_cast<useconds_t>(std::atol(slow) * 1000) : 0;
  auto written = std::make_shared<std::atomic<int64_t>>(0);
  gan::io::set_write_fault_for_testing(
      [=](const std::string&, int64_t bytes) {
        if (full_disk && written->fetch_add(bytes) + bytes > limit) return ENOSPC;
        if (slow_writes) ::usleep(sleep_us);
        return 0;
      });
}

}  // namespace

int main(int argc, char** argv) {
  set_write_faults_from_environment();
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
