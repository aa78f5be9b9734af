#include "train/checkpoint.h"

#include <algorithm>
#include <map>
#include <sstream>
#include <stdexcept>

#include "core/error.h"

namespace gan::train {
namespace {

constexpr const char* kFormat = "gan-cyclegan/1";
constexpr const char* kPix2PixFormat = "gan-pix2pix/1";

std::string rng_state(const Rng& g) {
  return std::to_string(g.seed()) + " " + std::to_string(g.stream());
}

// "" for rank 0 (and a single process: the names of checkpoints before data parallelism),
// ".rank<r>" for the others.
std::string rank_suffix(int rank) { return rank == 0 ? "" : ".rank" + std::to_string(rank); }

const std::string& meta(const io::SafetensorsFile& f, const std::string& key,
                        const std::string& path) {
  auto it = f.metadata.find(key);
  if (it == f.metadata.end())
    throw InputError(path + ": not a training checkpoint (metadata '" + key + "' missing)");
  return it->second;
}

int64_t meta_int(const io::SafetensorsFile& f, const std::string& key, const std::string& path) {
  const std::string& s = meta(f, key, path);
  try {
    size_t used = 0;
    long long v = std::stoll(s, &used);
    if (used != s.size()) throw std::invalid_argument(s);
    if (v < 0) throw std::invalid_argument(s);
    return v;
  } catch (const std::exception&) {
    throw InputError(path + ": metadata '" + key + "' is not a non-negative integer: '" + s + "'");
  }
}

uint64_t meta_uint64(const io::SafetensorsFile& f, const std::string& key, const std::string& path) {
  const std::string& s = meta(f, key, path);
  try {
    size_t used = 0;
    unsigned long long v = std::stoull(s, &used);
    if (used != s.size() || s.empty() || s[0] == '-') throw std::invalid_argument(s);
    return v;
  } catch (const std::exception&) {
    throw InputError(path + ": metadata '" + key + "' is not an unsigned integer: '" + s + "'");
  }
}

void restore_rng(Rng& g, const io::SafetensorsFile& f, const std::string& key,
                 const std::string& path) {
  std::istringstream in(meta(f, key, path));
  uint64_t seed = 0, stream = 0;
  if (!(in >> seed >> stream)) throw InputError(path + ": metadata '" + key + "' is malformed");
  g.set_state(seed, stream);
}

const Tensor& require(const io::SafetensorsFile& f, const std::string& name, const Shape& shape,
                      const std::string& path) {
  const Tensor* t = f.find(name);
  if (!t)
    throw InputError(path + ": tensor '" + name + "' missing (checkpoint of another architecture?)");
  if (t->shape() != shape)
    throw InputError(path + ": tensor '" + name + "' has shape " + t->shape().str() +
                     ", this model expects " + shape.str() +
                     " (checkpoint of another architecture or size)");
  if (t->dtype() != DType::f32)
    throw InputError(path + ": tensor '" + name + "' is " + dtype_name(t->dtype()) + ", expected f32");
  return *t;
}

// Moments of an optimizer under "<opt>.exp_avg.<param name>".
void add_moments(std::vector<std::pair<std::string, Tensor>>& out, const std::string& opt,
                 nn::Adam& adam, const std::vector<std::string>& names) {
  for (size_t i = 0; i < names.size(); ++i) {
    out.emplace_back(opt + ".exp_avg." + names[i], adam.exp_avg()[i]);
    out.emplace_back(opt + ".exp_avg_sq." + names[i], adam.exp_avg_sq()[i]);
  }
}

void load_moments(const io::SafetensorsFile& f, const std::string& opt, nn::Adam& adam,
                  const std::vector<std::string>& names, const std::string& path) {
  for (size_t i = 0; i < names.size(); ++i) {
    adam.exp_avg()[i].copy_from(
        require(f, opt + ".exp_avg." + names[i], adam.exp_avg()[i].shape(), path));
    adam.exp_avg_sq()[i].copy_from(
        require(f, opt + ".exp_avg_sq." + names[i], adam.exp_avg_sq()[i].shape(), path));
  }
  adam.set_step_count(meta_int(f, opt + ".step", path));
}

void split_names(const std::vector<nn::Module::NamedTensor>& params, std::vector<std::string>& g,
                 std::vector<std::string>& d) {
  for (auto& [name, t] : params) (name.rfind("G_", 0) == 0 ? g : d).push_back(name);
}

// The networks' parameters, then both optimizers' moments named after them (opt_G.* for the
// generators' parameters, opt_D.* for the discriminators').
std::vector<std::pair<std::string, Tensor>> parameters_and_moments(
    std::vector<std::pair<std::string, Tensor>> tensors, nn::Adam& opt_G, nn::Adam& opt_D) {
  std::vector<std::string> g_names, d_names;
  split_names(tensors, g_names, d_names);
  add_moments(tensors, "opt_G", opt_G, g_names);
  add_moments(tensors, "opt_D", opt_D, d_names);
  return tensors;
}

// What both kinds of training checkpoint store beside their tensors: the config, the data position,
// the Adam step counts, and rank 0's dropout generator.
std::map<std::string, std::string> training_metadata(const char* format, const TrainConfig& config,
                                                     const TrainingPosition& pos, nn::Adam& opt_G,
                                                     nn::Adam& opt_D, const Rng& dropout_rng,
                                                     size_t world_size) {
  std::map<std::string, std::string> md;
  md["format"] = format;
  md["config"] = config.to_json();
  md["global_step"] = std::to_string(pos.global_step);
  md["epoch"] = std::to_string(pos.loader.epoch);
  md["step_in_epoch"] = std::to_string(pos.loader.step_in_epoch);
  md["loader_seed"] = std::to_string(pos.loader.seed);
  md["opt_G.step"] = std::to_string(opt_G.step_count());
  md["opt_D.step"] = std::to_string(opt_D.step_count());
  md["dropout_rng"] = rng_state(dropout_rng);
  md["world_size"] = std::to_string(world_size);
  return md;
}

// The file's mode must be the run's ("cyclegan" or "pix2pix"); then its number of ranks.
void require_training_checkpoint(const io::SafetensorsFile& f, const std::string& mode,
                                 int world_size, const std::string& path) {
  const TrainConfig saved = checkpoint_config(f, path);
  if (saved.mode != mode)
    throw InputError(path + ": a " + saved.mode + " checkpoint, this run is --mode " + mode);
  const int64_t saved_ranks = f.metadata.count("world_size") ? meta_int(f, "world_size", path) : 1;
  if (saved_ranks != world_size)
    throw InputError(path + ": written by a run of " + std::to_string(saved_ranks) +
                     " rank(s), this run has " + std::to_string(world_size) +
                     ": resume with the same number of ranks (mpirun -np " +
                     std::to_string(saved_ranks) + "; image pools and data shards are per rank)");
}

TrainingPosition read_position(const io::SafetensorsFile& f, const std::string& path) {
  TrainingPosition pos;
  pos.global_step = meta_int(f, "global_step", path);
  pos.loader.epoch = meta_int(f, "epoch", path);
  pos.loader.step_in_epoch = meta_int(f, "step_in_epoch", path);
  pos.loader.seed = meta_uint64(f, "loader_seed", path);
  return pos;
}

void restore_pool(ImagePool& pool, const io::SafetensorsFile& f, const std::string& name,
                  Device device, const models::ModelConfig& model, const std::string& path) {
  const Tensor* t = f.find(name);
  if (t && (t->ndim() != 4 || t->size(0) > pool.capacity() || t->size(1) != model.channels ||
            t->size(2) != model.size || t->size(3) != model.size || t->dtype() != DType::f32))
    throw InputError(path + ": tensor '" + name + "' is " + dtype_name(t->dtype()) + " " +
                     t->shape().str() + ", expected f32 [n <= " + std::to_string(pool.capacity()) +
                     ", " + std::to_string(model.channels) + ", " + std::to_string(model.size) +
                     ", " + std::to_string(model.size) + "] (pool images)");
  pool.restore(t ? t->to(device) : Tensor());
}

// Parameters of the generator that mc describes, without building it: every conv weight is the
// product of two channel counts and every bias or norm scale one, each linear in ngf, so the count
// is a quadratic in ngf, fixed by three tiny builds (ngf = 1, 2, 3). This lets a checkpoint's
// claimed config be checked against the tensors it holds before a possibly huge network is built.
double generator_parameter_count(models::ModelConfig mc) {
  const double x = mc.ngf;
  double p[3];
  for (int k = 1; k <= 3; ++k) {
    mc.ngf = k;
    p[k - 1] = static_cast<double>(
        models::make_generator(mc, std::make_shared<Rng>(0))->parameter_count());
  }
  return p[0] * (x - 2) * (x - 3) / 2 - p[1] * (x - 1) * (x - 3) + p[2] * (x - 1) * (x - 2) / 2;
}

}  // namespace

void save_training_checkpoint(const std::string& path, const TrainConfig& config,
                              const models::CycleGAN& nets, CycleGANStep& step,
                              const TrainingPosition& pos,
                              const std::vector<dist::RankState>& other_ranks) {
  std::vector<std::pair<std::string, Tensor>> tensors =
      parameters_and_moments(nets.named_parameters(), step.opt_G(), step.opt_D());
  if (Tensor p = step.pool_A().stacked(); p.defined()) tensors.emplace_back("pool.A", p);
  if (Tensor p = step.pool_B().stacked(); p.defined()) tensors.emplace_back("pool.B", p);
  for (size_t i = 0; i < other_ranks.size(); ++i) {
    const std::string suffix = rank_suffix(static_cast<int>(i) + 1);
    if (other_ranks[i].pool_a.defined()) tensors.emplace_back("pool.A" + suffix, other_ranks[i].pool_a);
    if (other_ranks[i].pool_b.defined()) tensors.emplace_back("pool.B" + suffix, other_ranks[i].pool_b);
  }

  std::map<std::string, std::string> md = training_metadata(
      kFormat, config, pos, step.opt_G(), step.opt_D(), *nets.dropout_rng, other_ranks.size() + 1);
  md["pool_rng"] = rng_state(step.pool_rng());
  for (size_t i = 0; i < other_ranks.size(); ++i) {
    const dist::RankState& r = other_ranks[i];
    const std::string suffix = rank_suffix(static_cast<int>(i) + 1);
    md["pool_rng" + suffix] = std::to_string(r.pool_seed) + " " + std::to_string(r.pool_stream);
    md["dropout_rng" + suffix] =
        std::to_string(r.dropout_seed) + " " + std::to_string(r.dropout_stream);
  }
  io::save_safetensors(path, tensors, md);
}

void save_training_checkpoint(const std::string& path, const TrainConfig& config,
                              const models::Pix2Pix& nets, Pix2PixStep& step,
                              const TrainingPosition& pos,
                              const std::vector<dist::RankState>& other_ranks) {
  std::vector<std::pair<std::string, Tensor>> tensors =
      parameters_and_moments(nets.named_parameters(), step.opt_G(), step.opt_D());
  std::map<std::string, std::string> md = training_metadata(
      kPix2PixFormat, config, pos, step.opt_G(), step.opt_D(), *nets.dropout_rng, other_ranks.size() + 1);
  for (size_t i = 0; i < other_ranks.size(); ++i)
    md["dropout_rng" + rank_suffix(static_cast<int>(i) + 1)] =
        std::to_string(other_ranks[i].dropout_seed) + " " + std::to_string(other_ranks[i].dropout_stream);
  io::save_safetensors(path, tensors, md);
}

TrainConfig checkpoint_config(const io::SafetensorsFile& f, const std::string& path) {
  auto fmt = f.metadata.find("format");
  const bool cyclegan = fmt != f.metadata.end() && fmt->second == kFormat;
  const bool pix2pix = fmt != f.metadata.end() && fmt->second == kPix2PixFormat;
  if (!cyclegan && !pix2pix)
    throw InputError(path + ": not a checkpoint of this program (metadata 'format' is neither '" +
                     std::string(kFormat) + "' nor '" + kPix2PixFormat + "')");
  TrainConfig c = TrainConfig::from_json(meta(f, "config", path), path);
  if (c.mode != (pix2pix ? "pix2pix" : "cyclegan"))
    throw InputError(path + ": metadata 'format' is '" + fmt->second + "' but the config's mode is '" +
                     c.mode + "'");
  return c;
}

void load_network(const io::SafetensorsFile& f, const std::string& prefix, nn::Module& net,
                  const std::string& path) {
  auto params = net.named_parameters();
  for (auto& [name, t] : params) t.copy_from(require(f, prefix + "." + name, t.shape(), path));
  size_t under_prefix = 0;
  for (auto& [name, t] : f.tensors)
    if (name.rfind(prefix + ".", 0) == 0) ++under_prefix;
  if (under_prefix != params.size()) {
    for (auto& [name, t] : f.tensors) {
      if (name.rfind(prefix + ".", 0) != 0) continue;
      bool known = false;
      for (auto& p : params) known = known || prefix + "." + p.first == name;
      if (!known)
        throw InputError(path + ": unexpected tensor '" + name +
                         "' (checkpoint of another architecture?)");
    }
  }
}

TrainingPosition load_training_checkpoint(const std::string& path, models::CycleGAN& nets,
                                          CycleGANStep& step, int rank, int world_size) {
  io::SafetensorsFile f = io::load_safetensors(path);
  require_training_checkpoint(f, "cyclegan", world_size, path);
  const std::string suffix = rank_suffix(rank);
  load_network(f, "G_AB", *nets.G_AB, path);
  load_network(f, "G_BA", *nets.G_BA, path);
  load_network(f, "D_A", *nets.D_A, path);
  load_network(f, "D_B", *nets.D_B, path);
  std::vector<std::string> g_names, d_names;
  split_names(nets.named_parameters(), g_names, d_names);
  load_moments(f, "opt_G", step.opt_G(), g_names, path);
  load_moments(f, "opt_D", step.opt_D(), d_names, path);
  Device dev = nets.G_AB->parameters().front().device();
  restore_pool(step.pool_A(), f, "pool.A" + suffix, dev, nets.config, path);
  restore_pool(step.pool_B(), f, "pool.B" + suffix, dev, nets.config, path);
  restore_rng(*nets.dropout_rng, f, "dropout_rng" + suffix, path);
  restore_rng(step.pool_rng(), f, "pool_rng" + suffix, path);
  return read_position(f, path);
}

TrainingPosition load_training_checkpoint(const std::string& path, models::Pix2Pix& nets,
                                          Pix2PixStep& step, int rank, int world_size) {
  io::SafetensorsFile f = io::load_safetensors(path);
  require_training_checkpoint(f, "pix2pix", world_size, path);
  load_network(f, models::kPix2PixNetworkNames[0], *nets.G, path);
  load_network(f, models::kPix2PixNetworkNames[1], *nets.D, path);
  std::vector<std::string> g_names, d_names;
  split_names(nets.named_parameters(), g_names, d_names);
  load_moments(f, "opt_G", step.opt_G(), g_names, path);
  load_moments(f, "opt_D", step.opt_D(), d_names, path);
  restore_rng(*nets.dropout_rng, f, "dropout_rng" + rank_suffix(rank), path);
  return read_position(f, path);
}

std::shared_ptr<nn::Module> load_generator(const std::string& path, const std::string& name,
                                           models::ModelConfig* config_out) {
  if (name != "G_AB" && name != "G_BA")
    throw std::invalid_argument("load_generator: name must be G_AB or G_BA");
  io::SafetensorsFile f = io::load_safetensors(path);
  const TrainConfig config = checkpoint_config(f, path);
  if (config.mode == "pix2pix" && name != "G_AB")
    throw InputError(path + ": a pix2pix checkpoint has only the t1-to-t2 generator (G_AB); the "
                     "t2-to-t1 generator (G_BA) is only in CycleGAN checkpoints");
  models::ModelConfig mc = config.model;
  try {
    mc.validate();
  } catch (const std::invalid_argument& e) {
    throw InputError(path + ": bad model config in metadata: " + e.what());
  }
  double file_params = 0;
  for (const auto& [n, t] : f.tensors)
    if (n.rfind(name + ".", 0) == 0) file_params += static_cast<double>(t.numel());
  const double expected = generator_parameter_count(mc);
  if (expected != file_params)
    throw InputError(path + ": the model config in the metadata (" + mc.gen + ", ngf " +
                     std::to_string(mc.ngf) + ", size " + std::to_string(mc.size) + ") needs " +
                     std::to_string(static_cast<long long>(std::min(expected, 1e18))) + " " + name +
                     " parameters, the file holds " +
                     std::to_string(static_cast<long long>(file_params)));
  auto net = models::make_generator(mc, std::make_shared<Rng>(0));
  load_network(f, name, *net, path);
  net->eval();
  if (config_out) *config_out = mc;
  return net;
}

}  // namespace gan::train
