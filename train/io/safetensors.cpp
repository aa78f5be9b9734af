#include "train/io/safetensors.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "core/error.h"
#include "train/io/atomic_file.h"

namespace gan::io {
namespace {

constexpr uint64_t kMaxHeaderBytes = 100ull * 1000 * 1000;

const char* safetensors_dtype(DType t) { return t == DType::f64 ? "F64" : "F32"; }

struct Entry {
  std::string name;
  DType dtype;
  Shape shape;
  uint64_t begin, end;
};

[[noreturn]] void bad(const std::string& path, const std::string& what) {
  throw InputError(path + ": " + what);
}
[[noreturn]] void bad_tensor(const std::string& path, const std::string& name,
                             const std::string& what) {
  throw InputError(path + ": tensor '" + name + "': " + what);
}

uint64_t read_u64_le(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

Entry parse_entry(const std::string& path, const std::string& name, const nlohmann::json& j,
                  uint64_t data_bytes) {
  if (!j.is_object()) bad_tensor(path, name, "entry is not a JSON object");
  auto dt = j.find("dtype");
  auto sh = j.find("shape");
  auto off = j.find("data_offsets");
  if (dt == j.end() || !dt->is_string()) bad_tensor(path, name, "missing or non-string 'dtype'");
  if (sh == j.end() || !sh->is_array()) bad_tensor(path, name, "missing or non-array 'shape'");
  if (off == j.end() || !off->is_array() || off->size() != 2)
    bad_tensor(path, name, "'data_offsets' must be an array [begin, end]");
  Entry e;
  e.name = name;
  const std::string dts = dt->get<std::string>();
  if (dts == "F32") e.dtype = DType::f32;
  else if (dts == "F64") e.dtype = DType::f64;
  else bad_tensor(path, name, "unsupported dtype '" + dts + "' (supported: F32, F64)");
  if (sh->size() > static_cast<size_t>(Shape::kMaxDims))
    bad_tensor(path, name, "rank " + std::to_string(sh->size()) + " > 4");
  int64_t dims[Shape::kMaxDims] = {};
  uint64_t bytes = dtype_size(e.dtype);
  bool overflow = false;
  uint64_t nonzero_product = 1;
  bool huge_dims = false;
  for (size_t i = 0; i < sh->size(); ++i) {
    const auto& d = (*sh)[i];
    if (!d.is_number_integer() || d.get<int64_t>() < 0 || (d.is_number_unsigned() && d.get<uint64_t>() > (uint64_t(1) << 62)))
      bad_tensor(path, name, "shape entries must be non-negative integers, got " + sh->dump());
    uint64_t v = d.get<uint64_t>();
    dims[i] = static_cast<int64_t>(v);
    if (v != 0 && bytes > UINT64_MAX / v) overflow = true;
    else bytes *= v;
    // An empty tensor may still list huge dims; Shape::numel multiplies them all in int64.
    if (v != 0 && nonzero_product > (uint64_t(1) << 62) / v) huge_dims = true;
    else if (v != 0) nonzero_product *= v;
  }
  for (int k = 0; k < 2; ++k)
    if (!(*off)[k].is_number_unsigned() && !((*off)[k].is_number_integer() && (*off)[k].get<int64_t>() >= 0))
      bad_tensor(path, name, "'data_offsets' must be non-negative integers");
  e.begin = (*off)[0].get<uint64_t>();
  e.end = (*off)[1].get<uint64_t>();
  if (e.begin > e.end) bad_tensor(path, name, "data_offsets begin > end");
  if (e.end > data_bytes)
    bad_tensor(path, name, "data_offsets [" + std::to_string(e.begin) + ", " +
                               std::to_string(e.end) + "] past the end of the data section (" +
                               std::to_string(data_bytes) + " bytes)");
  if (overflow || bytes != e.end - e.begin)
    bad_tensor(path, name, "shape " + sh->dump() + " of " + dts + " needs " +
                               (overflow ? std::string("more than 2^64") : std::to_string(bytes)) +
                               " bytes but data_offsets span " + std::to_string(e.end - e.begin));
  if (huge_dims) bad_tensor(path, name, "shape " + sh->dump() + " has more than 2^62 elements");
  e.shape = Shape::of(dims, static_cast<int>(sh->size()));
  return e;
}

}  // namespace

const Tensor* SafetensorsFile::find(const std::string& name) const {
  for (const auto& [n, t] : tensors)
    if (n == name) return &t;
  return nullptr;
}

void save_safetensors(const std::string& path,
                      const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) {
    nlohmann::ordered_json meta = nlohmann::ordered_json::object();
    for (const auto& [k, v] : metadata) meta[k] = v;
    header["__metadata__"] = meta;
  }
  std::set<std::string> names;
  std::vector<std::vector<char>> blobs;
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    if (name.empty() || name == "__metadata__")
      throw std::invalid_argument("save_safetensors: bad tensor name '" + name + "'");
    if (!names.insert(name).second)
      throw std::invalid_argument("save_safetensors: duplicate tensor name '" + name + "'");
    if (!t.defined()) throw std::invalid_argument("save_safetensors: tensor '" + name + "' is undefined");
    std::vector<char> blob(static_cast<size_t>(t.numel()) * dtype_size(t.dtype()));
    if (t.dtype() == DType::f64) {
      auto v = t.to_vector<double>();
      if (!v.empty()) std::memcpy(blob.data(), v.data(), blob.size());
    } else {
      auto v = t.to_vector<float>();
      if (!v.empty()) std::memcpy(blob.data(), v.data(), blob.size());
    }
    nlohmann::ordered_json shape = nlohmann::ordered_json::array();
    for (int i = 0; i < t.ndim(); ++i) shape.push_back(t.size(i));
    header[name] = {{"dtype", safetensors_dtype(t.dtype())},
                    {"shape", shape},
                    {"data_offsets", {offset, offset + blob.size()}}};
    offset += blob.size();
    blobs.push_back(std::move(blob));
  }
  std::string json = header.dump();
  // Pad the header with spaces so the data section starts 8-byte aligned (as the reference
  // implementation does), which lets readers map the data directly.
  while ((8 + json.size()) % 8 != 0) json.push_back(' ');
  write_file_atomic(path, [&](std::FILE* f) {
    unsigned char len[8];
    uint64_t n = json.size();
    for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(n >> (8 * i));
    std::fwrite(len, 1, 8, f);
    std::fwrite(json.data(), 1, json.size(), f);
    for (const auto& b : blobs)
      if (!b.empty()) std::fwrite(b.data(), 1, b.size(), f);
  });
}

SafetensorsFile load_safetensors(const std::string& path) {
  return parse_safetensors(read_file(path), path);
}

SafetensorsFile parse_safetensors(const std::string& bytes, const std::string& path) {
  if (bytes.size() < 8) bad(path, "too short for a safetensors file (" + std::to_string(bytes.size()) + " bytes)");
  const uint64_t header_len = read_u64_le(bytes.data());
  if (header_len > bytes.size() - 8)
    bad(path, "header length " + std::to_string(header_len) + " exceeds the file size (" +
                  std::to_string(bytes.size()) + " bytes): truncated or not safetensors");
  if (header_len > kMaxHeaderBytes)
    bad(path, "header length " + std::to_string(header_len) + " over the 100 MB limit");
  const uint64_t data_bytes = bytes.size() - 8 - header_len;
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + header_len);
  } catch (const nlohmann::json::exception& e) {
    bad(path, std::string("header is not valid JSON (") + e.what() + ")");
  }
  if (!header.is_object()) bad(path, "header is not a JSON object");

  SafetensorsFile out;
  std::vector<Entry> entries;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it->is_object()) bad(path, "__metadata__ is not an object");
      for (auto m = it->begin(); m != it->end(); ++m) {
        if (!m->is_string()) bad(path, "__metadata__ value of '" + m.key() + "' is not a string");
        out.metadata[m.key()] = m->get<std::string>();
      }
      continue;
    }
    entries.push_back(parse_entry(path, it.key(), *it, data_bytes));
  }
  // Data order, then no two non-empty ranges may overlap.
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  const Entry* prev = nullptr;
  for (const Entry& e : entries) {
    if (e.begin == e.end) continue;
    if (prev && e.begin < prev->end)
      bad_tensor(path, e.name, "data range [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
                                   ") overlaps tensor '" + prev->name + "'");
    prev = &e;
  }
  // Validation done: now allocate.
  const char* data = bytes.data() + 8 + header_len;
  for (const Entry& e : entries) {
    Tensor t = Tensor::empty(e.shape, e.dtype, Device::cpu);
    if (e.end > e.begin) std::memcpy(t.raw_data(), data + e.begin, e.end - e.begin);
    out.tensors.emplace_back(e.name, std::move(t));
  }
  return out;
}

}  // namespace gan::io
