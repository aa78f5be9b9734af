// Progress of long work on a stream: "what 12/150 (3.4 slices/s, ETA 0:00:41)". On a terminal
// one line is rewritten in place; otherwise (a log file, a pipe) a full line is printed at most
// every `every_seconds` and at the end, so logs stay readable.
#pragma once
#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>

namespace gan::train {

// h:mm:ss
std::string format_duration(double seconds);

class Progress {
 public:
  // `unit` names what is counted ("slices", "images"); tty: rewrite one line in place.
  Progress(std::ostream& out, std::string what, std::string unit, int64_t total, bool tty,
           double every_seconds = 10.0);
  // `done` items are finished (1..total).
  void update(int64_t done);
  // Ends the line on a terminal; prints the final count when it was not printed yet.
  void finish();

 private:
  void print(int64_t done);

  std::ostream& out_;
  std::string what_, unit_;
  int64_t total_ = 0, last_printed_ = -1;
  bool tty_ = false;
  double every_seconds_ = 10.0, last_print_time_ = -1e300;
  std::chrono::steady_clock::time_point start_;
};

// True when the stream is the process's stdout or stderr and that is a terminal.
bool is_terminal(const std::ostream& out);

}  // namespace gan::train
