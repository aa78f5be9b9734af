// For parsers that only read files by path (niftilib, the checkpoint loader, GDCM): the fuzz input
// is written to a per-process file in /dev/shm (memory, no disk wear), or TMPDIR when that is absent.
#pragma once
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace gan::fuzz {

inline const std::string& scratch_dir() {
  static const std::string dir = [] {
    if (::access("/dev/shm", W_OK) == 0) return std::string("/dev/shm");
    const char* t = std::getenv("TMPDIR");
    return std::string(t ? t : "/tmp");
  }();
  return dir;
}

inline void write_file(const std::string& path, const uint8_t* data, size_t size) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size) std::fwrite(data, 1, size, f);
  std::fclose(f);
}

inline std::string write_input_file(const uint8_t* data, size_t size, const std::string& suffix) {
  const std::string path = scratch_dir() + "/gan_fuzz_" + std::to_string(::getpid()) + suffix;
  write_file(path, data, size);
  return path;
}

// A per-process folder for parsers that read a whole folder (DICOM series).
inline std::string input_dir(const std::string& name) {
  const std::string dir = scratch_dir() + "/gan_fuzz_" + name + "_" + std::to_string(::getpid());
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) std::abort();
  return dir;
}

}  // namespace gan::fuzz
