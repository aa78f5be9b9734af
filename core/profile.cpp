#include "core/profile.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

namespace gan::profile {
namespace {

using Clock = std::chrono::steady_clock;

struct Entry {
  long calls = 0;
  double seconds = 0;
};

struct Table {
  std::mutex mu;
  std::map<std::pair<std::string, std::string>, Entry> entries;
};

Table& table() {
  static Table* t = new Table;  // never destroyed: usable from static destructors
  return *t;
}

bool from_environment() {
  const char* v = std::getenv("GAN_PROFILE");
  return v && *v && std::strcmp(v, "0") != 0;
}

bool g_enabled = from_environment();
thread_local Clock::time_point t_mark = Clock::now();

}  // namespace

bool enabled() { return g_enabled; }
void set_enabled(bool on) { g_enabled = on; }

void add(const char* phase, const char* name, double seconds) {
  Table& t = table();
  std::lock_guard<std::mutex> lock(t.mu);
  Entry& e = t.entries[{phase, name}];
  ++e.calls;
  e.seconds += seconds;
}

double lap() {
  const Clock::time_point now = Clock::now();
  const double s = std::chrono::duration<double>(now - t_mark).count();
  t_mark = now;
  return s;
}

void mark() { t_mark = Clock::now(); }

std::string report() {
  Table& t = table();
  std::lock_guard<std::mutex> lock(t.mu);
  std::vector<std::pair<std::pair<std::string, std::string>, Entry>> rows(t.entries.begin(),
                                                                         t.entries.end());
  std::sort(rows.begin(), rows.end(),
            [](const auto& a, const auto& b) { return a.second.seconds > b.second.seconds; });
  double total = 0;
  for (const auto& r : rows) total += r.second.seconds;
  std::string out;
  char line[200];
  std::snprintf(line, sizeof line, "%-10s %-24s %8s %10s %7s\n", "phase", "op", "calls", "seconds",
                "share");
  out += line;
  for (const auto& [key, e] : rows) {
    std::snprintf(line, sizeof line, "%-10s %-24s %8ld %10.4f %6.1f%%\n", key.first.c_str(),
                  key.second.c_str(), e.calls, e.seconds, total > 0 ? 100.0 * e.seconds / total : 0.0);
    out += line;
  }
  std::snprintf(line, sizeof line, "%-10s %-24s %8s %10.4f\n", "total", "", "", total);
  return out + line;
}

void reset() {
  Table& t = table();
  std::lock_guard<std::mutex> lock(t.mu);
  t.entries.clear();
  mark();
}

}  // namespace gan::profile
