#include "train/train_config.h"

#include <nlohmann/json.hpp>
#include <limits>
#include <stdexcept>
#include <type_traits>

#include "core/error.h"

namespace gan::train {

void TrainConfig::validate() const {
  auto bad = [](const std::string& m) { throw std::invalid_argument(m); };
  try {
    model.validate();
  } catch (const std::invalid_argument& e) {
    bad(std::string("--") + e.what());
  }
  if (mode != "cyclegan" && mode != "pix2pix") bad("--mode must be cyclegan or pix2pix, got '" + mode + "'");
  if (load_size < model.size) bad("--load-size must be >= --size");
  if (slice_axis != "axial" && slice_axis != "coronal" && slice_axis != "sagittal")
    bad("--slice-axis must be axial, coronal or sagittal, got '" + slice_axis + "'");
  if (!(min_foreground >= 0 && min_foreground <= 1)) bad("--min-foreground must be in [0, 1]");
  if (device != "cpu" && device != "cuda") bad("--device must be cpu or cuda, got '" + device + "'");
  if (epochs < 0 || decay_epochs < 0 || epochs + decay_epochs < 1)
    bad("--epochs + --decay-epochs must be at least 1");
  if (batch < 1) bad("--batch must be at least 1");
  if (max_steps < 0) bad("--steps must be >= 0");
  if (!(max_minutes >= 0)) bad("--minutes must be >= 0");
  if (save_every < 1) bad("--save-every must be at least 1");
  if (save_every_steps < 0) bad("--save-every-steps must be >= 0");
  if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1))
    bad("--beta1 and --beta2 must be in [0, 1)");
  if (sample_every < 0) bad("--sample-every must be >= 0");
  if (num_samples < 1) bad("--num-samples must be at least 1");
  if (log_every < 1) bad("--log-every must be at least 1");
  if (threads < 0) bad("--threads must be >= 0");
  if (gan_loss != "bce" && gan_loss != "lsgan") bad("--gan-loss must be bce or lsgan");
  if (pool < 0) bad("--pool must be >= 0");
  if (!(lr > 0)) bad("--lr must be positive");
  if (lambda_cycle < 0 || lambda_identity < 0) bad("--lambda values must be >= 0");
  if (structure_loss != "none" && structure_loss != "ssim" && structure_loss != "ngc" &&
      structure_loss != "ngf")
    bad("--structure-loss must be none, ssim, ngc or ngf, got '" + structure_loss + "'");
  if (!(lambda_structure >= 0)) bad("--lambda-structure must be >= 0");
  if (!(lambda_l1 >= 0)) bad("--lambda-l1 must be >= 0");
}

std::string TrainConfig::to_json() const {
  nlohmann::ordered_json j;
  j["mode"] = mode;
  j["data_a"] = data_a;
  j["data_b"] = data_b;
  j["slice_axis"] = slice_axis;
  j["min_foreground"] = min_foreground;
  j["out"] = out;
  j["gen"] = model.gen;
  j["channels"] = model.channels;
  j["size"] = model.size;
  j["ngf"] = model.ngf;
  j["ndf"] = model.ndf;
  j["load_size"] = load_size;
  j["device"] = device;
  j["epochs"] = epochs;
  j["decay_epochs"] = decay_epochs;
  j["batch"] = batch;
  j["seed"] = seed;
  j["steps"] = max_steps;
  j["minutes"] = max_minutes;
  j["save_every"] = save_every;
  j["save_every_steps"] = save_every_steps;
  j["log_grad_norm"] = log_grad_norm;
  j["sample_every"] = sample_every;
  j["num_samples"] = num_samples;
  j["log_every"] = log_every;
  j["threads"] = threads;
  j["gan_loss"] = gan_loss;
  j["pool"] = pool;
  j["lr"] = lr;
  j["beta1"] = beta1;
  j["beta2"] = beta2;
  j["lambda_cycle"] = lambda_cycle;
  j["lambda_identity"] = lambda_identity;
  j["structure_loss"] = structure_loss;
  j["lambda_structure"] = lambda_structure;
  j["lambda_l1"] = lambda_l1;
  return j.dump(2);
}

TrainConfig TrainConfig::from_json(const std::string& text, const std::string& what) {
  TrainConfig c;
  // Configs written before the structure term existed trained without one.
  c.structure_loss = "none";
  c.lambda_structure = 1.0;
  try {
    auto j = nlohmann::json::parse(text);
    if (!j.is_object()) throw InputError(what + ": bad training config: not a JSON object");
    // Type and range are checked here: nlohmann's get<int>() of 1e300 or 2^40 would convert
    // out of range (undefined for a double).
    auto get = [&](const char* k, auto& v) {
      using T = std::decay_t<decltype(v)>;
      auto it = j.find(k);
      if (it == j.end()) return;
      auto wrong = [&](const char* expected) {
        throw InputError(what + ": bad training config: '" + k + "' must be " + expected +
                         ", got " + it->dump());
      };
      if constexpr (std::is_same_v<T, std::string>) {
        if (!it->is_string()) wrong("a string");
        v = it->template get<std::string>();
      } else if constexpr (std::is_floating_point_v<T>) {
        if (!it->is_number()) wrong("a number");
        v = it->template get<double>();
      } else if constexpr (std::is_unsigned_v<T>) {
        if (!it->is_number_unsigned()) wrong("a non-negative integer");
        v = it->template get<T>();
      } else {
        if (!it->is_number_integer()) wrong("an integer");
        if (it->is_number_unsigned()) {
          if (it->template get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<T>::max()))
            wrong("an integer in range");
        } else {
          const int64_t x = it->template get<int64_t>();
          if (x < std::numeric_limits<T>::min() || x > std::numeric_limits<T>::max())
            wrong("an integer in range");
        }
        v = static_cast<T>(it->template get<int64_t>());
      }
    };
    get("mode", c.mode);  // absent in files written before pix2pix: cyclegan
    get("data_a", c.data_a);
    get("data_b", c.data_b);
    get("slice_axis", c.slice_axis);
    get("min_foreground", c.min_foreground);
    get("out", c.out);
    get("gen", c.model.gen);
    get("channels", c.model.channels);
    get("size", c.model.size);
    get("ngf", c.model.ngf);
    get("ndf", c.model.ndf);
    get("load_size", c.load_size);
    get("device", c.device);
    get("epochs", c.epochs);
    get("decay_epochs", c.decay_epochs);
    get("batch", c.batch);
    get("seed", c.seed);
    get("steps", c.max_steps);
    get("minutes", c.max_minutes);
    get("save_every", c.save_every);
    get("save_every_steps", c.save_every_steps);
    if (auto it = j.find("log_grad_norm"); it != j.end()) {
      if (!it->is_boolean())
        throw InputError(what + ": bad training config: 'log_grad_norm' must be true or false");
      c.log_grad_norm = it->get<bool>();
    }
    get("sample_every", c.sample_every);
    get("num_samples", c.num_samples);
    get("log_every", c.log_every);
    get("threads", c.threads);
    get("gan_loss", c.gan_loss);
    get("pool", c.pool);
    get("lr", c.lr);
    get("beta1", c.beta1);
    get("beta2", c.beta2);
    get("lambda_cycle", c.lambda_cycle);
    get("lambda_identity", c.lambda_identity);
    get("structure_loss", c.structure_loss);
    get("lambda_structure", c.lambda_structure);
    get("lambda_l1", c.lambda_l1);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(what + ": bad training config: " + e.what());
  }
  return c;
}

}  // namespace gan::train
