// A test seam of the atomic file writes (atomic_file.h), for tests only: production code never
// sets it. The fault runs once per write, when the temp file is complete and synced and just
// before it is renamed over its path. It returns 0 to let the write go on, or an errno value
// (ENOSPC, EIO, ...) to fail it the way the disk would: the temp file is removed, the old file
// stays, and the write throws "<path>: <strerror>". It may also sleep, to widen the window a kill
// test aims at. Users: tests/train/test_reliability.cpp, tests/tools/gan_train_faults.cpp.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

namespace gan::io {

// path: the file being written; bytes: the size of its complete temp file.
using WriteFault = std::function<int(const std::string& path, int64_t bytes)>;

// Installs `fault` for every later atomic write of the process (any thread); an empty function
// removes it.
void set_write_fault_for_testing(WriteFault fault);

}  // namespace gan::io
