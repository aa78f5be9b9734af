#include "train/dist/rank_state.h"

#include <cstring>
#include <stdexcept>

namespace gan::train::dist {
namespace {

// Layout: 4 x u64 (pool seed, stream; dropout seed, stream), then per pool: 4 x i64 shape
// (all 0 when empty) and its floats.
template <class T>
void put(std::string& out, const T& v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

template <class T>
T take(const std::string& in, size_t& at) {
  if (at + sizeof(T) > in.size()) throw std::runtime_error("rank state: truncated bytes");
  T v;
  std::memcpy(&v, in.data() + at, sizeof v);
  at += sizeof v;
  return v;
}

void put_pool(std::string& out, const Tensor& t) {
  for (int i = 0; i < 4; ++i) put<int64_t>(out, t.defined() ? t.size(i) : 0);
  if (!t.defined()) return;
  const std::vector<float> v = t.to_vector<float>();
  out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

Tensor take_pool(const std::string& in, size_t& at) {
  int64_t d[4];
  for (int64_t& x : d) x = take<int64_t>(in, at);
  if (d[0] == 0) return Tensor();
  const Shape shape = Shape::of(d, 4);
  const size_t bytes = static_cast<size_t>(shape.numel()) * sizeof(float);
  if (at + bytes > in.size()) throw std::runtime_error("rank state: truncated pool");
  std::vector<float> v(static_cast<size_t>(shape.numel()));
  std::memcpy(v.data(), in.data() + at, bytes);
  at += bytes;
  return Tensor::from_vector(v, shape);
}

}  // namespace

RankState capture_rank_state(CycleGANStep& step, const models::CycleGAN& nets) {
  RankState s;
  if (Tensor p = step.pool_A().stacked(); p.defined()) s.pool_a = p.to(Device::cpu);
  if (Tensor p = step.pool_B().stacked(); p.defined()) s.pool_b = p.to(Device::cpu);
  s.pool_seed = step.pool_rng().seed();
  s.pool_stream = step.pool_rng().stream();
  s.dropout_seed = nets.dropout_rng->seed();
  s.dropout_stream = nets.dropout_rng->stream();
  return s;
}

RankState capture_rank_state(const models::Pix2Pix& nets) {
  RankState s;
  s.dropout_seed = nets.dropout_rng->seed();
  s.dropout_stream = nets.dropout_rng->stream();
  return s;
}

std::string to_bytes(const RankState& s) {
  std::string out;
  for (uint64_t v : {s.pool_seed, s.pool_stream, s.dropout_seed, s.dropout_stream}) put(out, v);
  put_pool(out, s.pool_a);
  put_pool(out, s.pool_b);
  return out;
}

RankState rank_state_from_bytes(const std::string& bytes) {
  RankState s;
  size_t at = 0;
  s.pool_seed = take<uint64_t>(bytes, at);
  s.pool_stream = take<uint64_t>(bytes, at);
  s.dropout_seed = take<uint64_t>(bytes, at);
  s.dropout_stream = take<uint64_t>(bytes, at);
  s.pool_a = take_pool(bytes, at);
  s.pool_b = take_pool(bytes, at);
  return s;
}

}  // namespace gan::train::dist
