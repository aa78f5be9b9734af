#include "train/report/progress.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>

namespace gan::train {

std::string format_duration(double s) {
  const long t = static_cast<long>(s > 0 ? s + 0.5 : 0);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  return buf;
}

bool is_terminal(const std::ostream& out) {
  if (&out == &std::cout) return isatty(fileno(stdout)) != 0;
  if (&out == &std::cerr || &out == &std::clog) return isatty(fileno(stderr)) != 0;
  return false;
}

Progress::Progress(std::ostream& out, std::string what, std::string unit, int64_t total, bool tty,
                   double every_seconds)
    : out_(out), what_(std::move(what)), unit_(std::move(unit)), total_(total), tty_(tty),
      every_seconds_(every_seconds), start_(std::chrono::steady_clock::now()) {}

void Progress::print(int64_t done) {
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = secs > 0 ? done / secs : 0.0;
  const double eta = rate > 0 ? (total_ - done) / rate : 0.0;
  char buf[256];
  std::snprintf(buf, sizeof buf, "%s %lld/%lld (%.2f %s/s, ETA %s)", what_.c_str(),
                static_cast<long long>(done), static_cast<long long>(total_), rate, unit_.c_str(),
                format_duration(eta).c_str());
  if (tty_)
    out_ << "\r" << buf << "\x1b[K" << std::flush;
  else
    out_ << buf << "\n" << std::flush;
  last_printed_ = done;
  last_print_time_ = secs;
}

void Progress::update(int64_t done) {
  if (tty_) return print(done);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (done == total_ || secs - last_print_time_ >= every_seconds_) print(done);
}

void Progress::finish() {
  if (last_printed_ != total_ && !tty_) print(total_);
  if (tty_) out_ << "\n" << std::flush;
}

}  // namespace gan::train
