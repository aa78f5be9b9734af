// Starting a tool as a child process for the tests that signal, kill or time it (crash safety,
// data-parallel jobs): stdout and stderr to a log file, extra environment, its own process group.
#pragma once
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

namespace gan::testing {

// Starts argv (argv[0] looked up in PATH unless it holds a '/') with stdout+stderr to log_path
// and the given extra environment. The child leads a process group of its own, so a test can end
// it together with what it started (mpirun and its ranks) with kill(-pid, ...).
inline pid_t spawn(std::vector<std::string> argv, const std::string& log_path,
                   const std::vector<std::pair<std::string, std::string>>& env = {}) {
  std::fflush(nullptr);  // or the child would write our buffered output into its log
  const pid_t pid = ::fork();
  if (pid == 0) {
    FILE* f = std::freopen(log_path.c_str(), "w", stdout);
    if (!f || ::dup2(::fileno(stdout), 2) < 0) ::_exit(127);
    ::setpgid(0, 0);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> p;
    for (auto& s : argv) p.push_back(s.data());
    p.push_back(nullptr);
    ::execvp(p[0], p.data());
    ::_exit(127);
  }
  return pid;
}

}  // namespace gan::testing
