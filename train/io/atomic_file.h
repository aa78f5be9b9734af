// Atomic file writes: a file at `path` is either the complete old one or the complete new one,
// never a half-written mix, even if the process dies or the disk fills up mid-write.
// The bytes go to a temp file in the same directory ("<path>.tmp.<pid>"), which is flushed,
// fsync'ed and renamed over `path`; then the directory is fsync'ed so the rename survives a crash.
// On any failure (ENOSPC, EACCES, a missing directory, an exception from the writer) the temp file
// is removed, the old file is left intact, and gan::InputError("<path>: <strerror>") is thrown.
// Tests make these writes fail or pause through write_fault_for_testing.h.
#pragma once
#include <cstddef>
#include <cstdio>
#include <functional>
#include <string>

namespace gan::io {

// Writes `size` bytes.
void write_file_atomic(const std::string& path, const void* data, size_t size);
inline void write_file_atomic(const std::string& path, const std::string& bytes) {
  write_file_atomic(path, bytes.data(), bytes.size());
}

// Streams the content: `writer` writes to the open temp file (fwrite etc.). Write errors are
// detected from the stream state, fflush and fsync, so the writer need not check each call.
void write_file_atomic(const std::string& path, const std::function<void(std::FILE*)>& writer);

// For libraries that insist on opening the file themselves (niftilib): `writer` creates the file
// at the temp path it is given. With keep_extension the temp name keeps the extension of `path`
// ("a/vol.nii.gz" -> "a/vol.tmp.<pid>.nii.gz"), because such libraries pick the format from it.
// The temp file must exist after `writer` returns; it is then fsync'ed and renamed.
void write_file_atomic_via_path(const std::string& path,
                                const std::function<void(const std::string& temp_path)>& writer,
                                bool keep_extension = true);

// Removes the temp files ("<name>.tmp.<pid>[.ext]") that writers killed mid-write left in dir,
// those of processes no longer running. Returns how many were removed.
int remove_stale_temp_files(const std::string& dir);

// Reads a whole file. Throws gan::InputError("<path>: <strerror>") if it can't be opened or read,
// and "<path>: file too large (N bytes, limit M)" if it is bigger than max_bytes.
std::string read_file(const std::string& path, size_t max_bytes = size_t(1) << 34);

}  // namespace gan::io
