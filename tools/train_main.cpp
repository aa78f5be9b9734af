// gan_train's command line (declared and described in tools/train_main.h): flags, the
// communicator of a data-parallel run, the trainer, signals and exit codes.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <csignal>
#include <cstring>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include <sched.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "core/device.h"
#include "core/error.h"
#include "core/threads.h"
#include "train/dist/communicator.h"
#include "tools/train_main.h"
#include "train/trainer.h"
#include "tools/parse_command_line.h"

namespace {

volatile std::sig_atomic_t g_stop_signal = 0;

extern "C" void on_stop_signal(int sig) {
  if (g_stop_signal != 0) {  // a second Ctrl-C: stop now, the last checkpoint is intact
    std::signal(sig, SIG_DFL);
    std::raise(sig);
  }
  g_stop_signal = sig;
}

// Single-quotes an argument for a POSIX shell when it needs quoting.
std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "0123456789-_./=:,+@%") == std::string::npos)
    return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The command line that continues this run: the same arguments plus --resume.
std::string resume_command(int argc, char** argv) {
  std::string cmd;
  bool has_resume = false;
  for (int i = 0; i < argc; ++i) {
    has_resume = has_resume || std::strcmp(argv[i], "--resume") == 0;
    cmd += (i ? " " : "") + shell_quote(argv[i]);
  }
  return has_resume ? cmd : cmd + " --resume";
}

// Threads per rank when --threads is 0: the node's cores shared by its ranks, and no more than the
// cores the launcher bound this rank to (mpirun binds each of <= 2 ranks to one core by default).
int default_threads(const gan::train::dist::Communicator& comm, std::ostream& log) {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int threads = std::max(1, cores / comm.local_size());
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    const int bound = CPU_COUNT(&set);
    if (bound >= 1 && bound < threads) {
      log << "note: the launcher bound this rank to " << bound << " core(s): " << bound
          << " thread(s) per rank instead of " << threads
          << " (mpirun --bind-to none, or --map-by slot:PE=" << threads << ")\n";
      threads = bound;
    }
  }
  return threads;
}

// One line on stderr; several ranks prefix their rank so the failing one is named.
// One write, so the lines of several failing ranks do not interleave.
void print_error(const gan::train::dist::Communicator* comm, const std::string& what) {
  std::string line = "gan_train: ";
  if (comm && comm->size() > 1) line += "rank " + std::to_string(comm->rank()) + ": ";
  line += "error: " + what + "\n";
  std::cerr << line << std::flush;
}

}  // namespace

int gan_train_main(int argc, char** argv, const TrainerSetup& setup) {
  gan::train::TrainConfig c;
  bool resume = false;
  CLI::App app{"Train a CycleGAN (unpaired data) or pix2pix (paired data, --mode pix2pix) translating "
               "between two image domains (A = T1, B = T2)."};
  app.get_formatter()->column_width(34);
  app.add_option("--data-a", c.data_a,
                 "Folder of domain-A (T1) data: images, NIfTI volumes (.nii, .nii.gz), DICOM series "
                 "(files here or one sub-folder per series)")
      ->required();
  app.add_option("--data-b", c.data_b,
                 "Folder of domain-B (T2) data, as --data-a; with --mode pix2pix paired with --data-a "
                 "by file and volume names")
      ->required();
  app.add_option("--slice-axis", c.slice_axis,
                 "Volumes are cut into 2-D slices along this body axis: axial, coronal or sagittal")
      ->capture_default_str();
  app.add_option("--min-foreground", c.min_foreground,
                 "Skip volume slices whose head covers less than this fraction of the image")
      ->capture_default_str();
  app.add_option("--out", c.out, "Run dir: config.json, losses.csv, samples/, checkpoints/")
      ->required();
  app.add_option("--gen", c.model.gen, "Generator: unet or resnet")->capture_default_str();
  app.add_option("--channels", c.model.channels, "Image channels: 1 (gray) or 3 (RGB)")
      ->capture_default_str();
  app.add_option("--size", c.model.size, "Crop size = network input side")->capture_default_str();
  app.add_option("--load-size", c.load_size, "Resize to this side before the random crop")
      ->capture_default_str();
  app.add_option("--ngf", c.model.ngf, "Generator width")->capture_default_str();
  app.add_option("--ndf", c.model.ndf, "Discriminator width")->capture_default_str();
  app.add_option("--device", c.device, "cpu or cuda")->capture_default_str();
  app.add_option("--epochs", c.epochs, "Epochs at the base learning rate")->capture_default_str();
  app.add_option("--decay-epochs", c.decay_epochs, "Epochs of linear decay to 0 afterwards")
      ->capture_default_str();
  app.add_option("--batch", c.batch, "Batch size (per rank under mpirun/srun: docs/distributed.md)")
      ->capture_default_str();
  app.add_option("--seed", c.seed, "Seed of weights, data order, augmentation, dropout, pool")
      ->capture_default_str();
  app.add_option("--steps", c.max_steps, "Stop after this many steps in total (0 = all epochs)")
      ->capture_default_str();
  app.add_option("--minutes", c.max_minutes,
                 "Time budget: stop cleanly (checkpoint, samples, report) after this many minutes "
                 "of training (0 = none)")
      ->capture_default_str();
  app.add_flag("--resume", resume, "Continue from OUT/checkpoints/latest.safetensors");
  app.add_option("--save-every", c.save_every, "Epochs between numbered checkpoints")
      ->capture_default_str();
  app.add_option("--save-every-steps", c.save_every_steps,
                 "Also write the latest checkpoint every this many steps (0 = at epoch ends only); "
                 "a crash loses at most this interval")
      ->capture_default_str();
  app.add_flag("--log-grad-norm", c.log_grad_norm,
               "Log the gradient norms of G and D per step (losses.csv) and stop on a non-finite one");
  app.add_option("--sample-every", c.sample_every, "Epochs between sample grids (0 = none)")
      ->capture_default_str();
  app.add_option("--num-samples", c.num_samples, "Images per domain in the sample grid (spread evenly over each folder)")
      ->capture_default_str();
  app.add_option("--log-every", c.log_every, "Steps between progress lines when not a terminal")
      ->capture_default_str();
  app.add_option("--threads", c.threads,
                 "CPU threads (0 = all cores; under mpirun/srun the node's cores / its ranks)")
      ->capture_default_str();
  std::string conv_math = "fp32";
  app.add_option("--conv-math", conv_math,
                 "cuda convolutions: fp32, or tf32 (tensor cores, inputs rounded to 10 mantissa bits)")
      ->check(CLI::IsMember({"fp32", "tf32"}))
      ->capture_default_str();
  app.add_option("--gan-loss", c.gan_loss, "Adversarial loss: bce or lsgan")->capture_default_str();
  app.add_option("--mode", c.mode,
                 "cyclegan (unpaired data) or pix2pix (co-registered pairs: one generator A -> B, a "
                 "conditional discriminator, L1 loss)")
      ->capture_default_str();
  app.add_option("--lambda-l1", c.lambda_l1, "Weight of the L1 loss of --mode pix2pix")
      ->capture_default_str();
  app.add_option("--pool", c.pool, "Image pool size (0 = off, the single-forward step)")
      ->capture_default_str();
  app.add_option("--lr", c.lr, "Adam learning rate")->capture_default_str();
  app.add_option("--beta1", c.beta1, "Adam beta1")->capture_default_str();
  app.add_option("--lambda-cycle", c.lambda_cycle, "Weight of the cycle loss")->capture_default_str();
  app.add_option("--lambda-identity", c.lambda_identity,
                 "Weight of the identity loss, relative to --lambda-cycle")
      ->capture_default_str();
  app.add_option("--structure-loss", c.structure_loss,
                 "Structure term keeping anatomy sharp and in place: none; ssim (1 - SSIM beside "
                 "the cycle and identity L1 terms); ngc (1 - normalised gradient correlation of "
                 "each input and its translation: signed, only where edge polarity is kept); ngf "
                 "(1 - normalised gradient fields of each input and its translation: blind to edge "
                 "polarity, the one for contrast-changing translations such as T1 <-> T2, and the default)")
      ->capture_default_str();
  app.add_option("--lambda-structure", c.lambda_structure,
                 "Weight of the structure terms, for ssim, ngc and ngf alike: each term lies in "
                 "[0, 2]; 5 keeps them under the cycle L1 x 10 while edges still count "
                 "(docs/quality.md)")
      ->capture_default_str();
  if (const int rc = gan::tools::parse_command_line(app, "gan_train", argc, argv); rc >= 0)
    return rc;

  std::unique_ptr<gan::train::dist::Communicator> comm;
  // Ends the run with exit code `code`: the whole job when this is one of several ranks (the
  // others are blocked in a collective and would otherwise wait for this one forever).
  auto fail = [&](int code) {
    if (comm && comm->size() > 1) comm->abort(code);
    return code;
  };
  std::ostringstream discard;  // the log of ranks other than 0
  try {
    comm = gan::train::dist::make_communicator(c.device == "cuda");
    std::ostream& out = comm->is_root() ? std::cout : discard;
    if (c.threads == 0 && comm->distributed()) c.threads = default_threads(*comm, out);
    gan::set_num_threads(c.threads);  // OpenMP and Eigen together; 0 keeps all cores
    gan::device::set_conv_math(conv_math);
    if (comm->distributed()) out << "threads per rank: " << gan::num_threads() << "\n";
    gan::train::Trainer trainer(c, resume, out, comm.get());
    if (setup) setup(trainer);
    std::signal(SIGINT, on_stop_signal);
    std::signal(SIGTERM, on_stop_signal);
    trainer.set_stop_flag(&g_stop_signal);
    out << "device " << c.device
        << (c.device == "cuda" && gan::device::cuda_emulated() ? " (emulated)" : "")
        << (c.device == "cuda" ? ", conv math " + conv_math : "") << "\n";
    if (trainer.is_pix2pix()) {
      auto& n = trainer.pix2pix_nets();
      out << "pix2pix parameters: G_AB " << n.G->parameter_count() << ", D "
          << n.D->parameter_count() << "\n";
    } else {
      auto& n = trainer.nets();
      out << "parameters: G_AB " << n.G_AB->parameter_count() << ", G_BA "
          << n.G_BA->parameter_count() << ", D_A " << n.D_A->parameter_count() << ", D_B "
          << n.D_B->parameter_count() << "\n";
    }
    out << "data: " << c.data_a << " (A) , " << c.data_b << " (B); "
              << trainer.total_steps() << " steps in " << c.epochs + c.decay_epochs
              << " epochs\n";
    trainer.run();
    if (int sig = trainer.stop_signal()) {
      if (!comm->is_root()) return 128 + sig;
      std::cerr << "gan_train: " << (sig == SIGINT ? "interrupted (SIGINT)" : "terminated (SIGTERM)")
                << " at step " << trainer.global_step() << "; checkpoint " << trainer.checkpoint_dir()
                << "/latest.safetensors written. Resume with:\n  " << resume_command(argc, argv)
                << "\n";
      return 128 + sig;
    }
  } catch (const gan::train::NonFiniteError& e) {
    print_error(comm.get(), std::string(e.what()) +
                                " (training stopped; the last good checkpoint is kept: lower --lr, "
                                "or resume from it with --resume)");
    return fail(3);
  } catch (const std::exception& e) {  // bad input (InputError, invalid_argument) and the rest
    print_error(comm.get(), e.what());
    return fail(2);
  }
  return 0;
}
