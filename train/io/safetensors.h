// safetensors (the HuggingFace checkpoint format): 8-byte little-endian header length N, N bytes
// of JSON {"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ...,
// "__metadata__": {"key": "value"}}, then the raw little-endian data; offsets are relative to the
// start of the data section. Files written here open in Python's safetensors and vice versa
// (for the dtypes F32 and F64).
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace gan::io {

// Writes tensors (f32 -> "F32", f64 -> "F64") in the given order; cuda tensors are copied to the
// host first. Names must be unique and non-empty and must not be "__metadata__". Metadata is
// stored as string pairs under "__metadata__". The write is atomic (see atomic_file.h).
// Throws std::invalid_argument for bad names, gan::InputError if the file can't be written.
void save_safetensors(const std::string& path,
                      const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

struct SafetensorsFile {
  std::map<std::string, std::string> metadata;
  std::vector<std::pair<std::string, Tensor>> tensors;  // cpu tensors, in file data order
  // The tensor called `name`, or nullptr.
  const Tensor* find(const std::string& name) const;
};

// Loads all tensors to the cpu. The header is fully validated before any tensor is allocated,
// so a small corrupt or hostile file can't make us allocate much: header length <= file size - 8
// and <= 100 MB; valid JSON; each entry has a known dtype (F32, F64), rank <= 4, non-negative
// dims (their product, zeros left out, at most 2^62) whose byte size (overflow-checked) equals end - begin, offsets inside the data section,
// no overlapping ranges; "__metadata__" values are strings.
// Throws gan::InputError("<path>: <problem>"), for a tensor "<path>: tensor '<name>': <problem>".
SafetensorsFile load_safetensors(const std::string& path);

// The same from the bytes of a whole file already in memory; `name` stands for the path in error
// messages. load_safetensors reads the file and calls this (one parser, fuzzed in tests/fuzz).
SafetensorsFile parse_safetensors(const std::string& bytes, const std::string& name);

}  // namespace gan::io
