// The command-line parsing every tool shares: --help prints the usage and exits 0; a bad command
// line prints one line, "<tool>: error: <what> (see --help)", and exits 2.
#pragma once
#include <CLI/CLI.hpp>
#include <cstdio>

namespace gan::tools {

// Parses argv into app. Returns -1 when the tool should go on, else the exit code to return now.
inline int parse_command_line(CLI::App& app, const char* tool, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "%s: error: %s (see --help)\n", tool, e.what());
    return 2;
  }
  return -1;
}

}  // namespace gan::tools
