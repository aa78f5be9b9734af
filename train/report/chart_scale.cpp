#include "train/report/chart_scale.h"

#include <cmath>
#include <cstdio>

namespace gan::train {

double nice_tick_step(double span, int target) {
  if (!(span > 0) || target < 1) return 1.0;
  double raw = span / target, p = std::pow(10.0, std::floor(std::log10(raw)));
  double m = raw / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

std::string tick_label(double v) {
  char b[32];
  if (v != 0 && (std::fabs(v) >= 1e5 || std::fabs(v) < 1e-3)) std::snprintf(b, sizeof b, "%.2g", v);
  else std::snprintf(b, sizeof b, "%.4g", v);
  return b;
}

}  // namespace gan::train
