// Runs one of the built tools (build/bin/<tool>) with a shell argument string, its stdout and
// stderr captured through files in a test's temp dir.
#pragma once
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "tests/train/temp_dir.h"

namespace gan::testing {

struct ToolRun {
  int code = -1;  // exit code; -1 when killed by a signal
  std::string out, err;
};

inline ToolRun run_tool(const std::string& tool, const std::string& args, const TempDir& dir) {
  const std::string bin = std::string(GAN_BIN_DIR) + "/" + tool;
  REQUIRE(std::filesystem::exists(bin));
  const std::string out = dir.file("stdout.txt"), err = dir.file("stderr.txt");
  const int status = std::system((bin + " " + args + " >" + out + " 2>" + err).c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_bytes(out), read_bytes(err)};
}

// Number of lines of a tool's output (an error must be one line).
inline int lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

}  // namespace gan::testing
