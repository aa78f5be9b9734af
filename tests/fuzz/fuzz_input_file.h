// For parsers that only read files by path (niftilib, the checkpoint loader): the fuzz input is
// written to a per-process file in /dev/shm (memory, no disk wear), or TMPDIR when that is absent.
#pragma once
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

namespace gan::fuzz {

inline std::string write_input_file(const uint8_t* data, size_t size, const std::string& suffix) {
  static const std::string dir = [] {
    if (::access("/dev/shm", W_OK) == 0) return std::string("/dev/shm");
    const char* t = std::getenv("TMPDIR");
    return std::string(t ? t : "/tmp");
  }();
  const std::string path = dir + "/gan_fuzz_" + std::to_string(::getpid()) + suffix;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size) std::fwrite(data, 1, size, f);
  std::fclose(f);
  return path;
}

}  // namespace gan::fuzz
