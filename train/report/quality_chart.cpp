#include "train/report/quality_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>

#include "core/error.h"
#include "train/report/raster_chart.h"

namespace gan::train {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<std::string> split_cells(const std::string& line) {
  std::vector<std::string> cells(1);
  for (char c : line) {
    if (c == ',') cells.emplace_back();
    else if (c != '\r') cells.back() += c;
  }
  return cells;
}

double number(const std::string& cell) {
  char* end = nullptr;
  const double v = std::strtod(cell.c_str(), &end);
  return end != cell.c_str() && *end == '\0' ? v : kNaN;
}

// One panel's series: every recipe's scores over minutes, then each baseline as a level across the
// recipes' minutes; `reference` (if finite) last, as a level named reference_name.
std::vector<ChartSeries> panel_series(const std::vector<QualityRow>& rows, double QualityRow::*score,
                                      double reference = kNaN, const std::string& reference_name = "") {
  std::vector<std::string> recipes, baselines;
  double x0 = 1e300, x1 = -1e300;
  for (const QualityRow& r : rows) {
    std::vector<std::string>& names = r.kind == "baseline" ? baselines : recipes;
    if (std::find(names.begin(), names.end(), r.recipe) == names.end()) names.push_back(r.recipe);
    if (r.kind != "baseline" && std::isfinite(r.minutes)) x0 = std::min(x0, r.minutes), x1 = std::max(x1, r.minutes);
  }
  if (x0 > x1) x0 = 0, x1 = 1;
  std::vector<ChartSeries> series;
  for (const std::string& name : recipes) {
    std::vector<std::pair<double, double>> points;
    for (const QualityRow& r : rows)
      if (r.kind != "baseline" && r.recipe == name) points.push_back({r.minutes, r.*score});
    std::sort(points.begin(), points.end());
    ChartSeries s{name, {}, {}};
    for (const auto& [m, v] : points) s.x.push_back(m), s.y.push_back(v);
    series.push_back(std::move(s));
  }
  auto level = [&](const std::string& name, double value) {
    ChartSeries s{name, {x0, x1}, {value, value}};
    s.dashed = true, s.markers = false;
    series.push_back(std::move(s));
  };
  for (const std::string& name : baselines)
    for (const QualityRow& r : rows)
      if (r.kind == "baseline" && r.recipe == name) {
        level(name, r.*score);
        break;
      }
  if (std::isfinite(reference)) level(reference_name, reference);
  return series;
}

}  // namespace

std::vector<QualityRow> read_quality_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path + ": cannot open");
  std::string line;
  if (!std::getline(in, line)) throw InputError(path + ": empty (expected a header row)");
  const std::vector<std::string> header = split_cells(line);
  auto column = [&](const char* name, bool required) {
    auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end() && required) throw InputError(path + ": no column '" + name + "' in the header");
    return it == header.end() ? -1 : static_cast<int>(it - header.begin());
  };
  const int recipe = column("recipe", true), kind = column("kind", true), minutes = column("minutes", true);
  const int psnr = column("psnr", true), fg_ssim = column("fg_ssim", true), edge = column("edge_corr", true);
  const int edge_target = column("edge_corr_target", false);
  std::vector<QualityRow> rows;
  for (int line_no = 2; std::getline(in, line); ++line_no) {
    if (line.empty() || line == "\r") continue;
    const std::vector<std::string> cells = split_cells(line);
    if (cells.size() < header.size())
      throw InputError(path + ": line " + std::to_string(line_no) + " has " + std::to_string(cells.size()) +
                       " cells, the header " + std::to_string(header.size()));
    QualityRow r;
    r.recipe = cells[recipe], r.kind = cells[kind];
    r.minutes = number(cells[minutes]), r.psnr = number(cells[psnr]), r.fg_ssim = number(cells[fg_ssim]);
    r.edge_corr = number(cells[edge]);
    r.edge_corr_target = edge_target >= 0 ? number(cells[edge_target]) : kNaN;
    rows.push_back(std::move(r));
  }
  if (rows.empty()) throw InputError(path + ": no rows");
  return rows;
}

Canvas quality_chart(const std::vector<QualityRow>& rows) {
  const int panel_width = 440, height = 340;
  Canvas canvas(3 * panel_width, height);
  double reference = kNaN;
  for (const QualityRow& r : rows)
    if (std::isfinite(r.edge_corr_target)) {
      reference = r.edge_corr_target;
      break;
    }
  const std::string x_label = "training minutes";
  draw_line_chart(canvas, {0, 0, panel_width, height}, panel_series(rows, &QualityRow::psnr), "PSNR (dB)", x_label);
  draw_line_chart(canvas, {panel_width, 0, panel_width, height}, panel_series(rows, &QualityRow::fg_ssim),
                  "SSIM, foreground", x_label);
  draw_line_chart(canvas, {2 * panel_width, 0, panel_width, height},
                  panel_series(rows, &QualityRow::edge_corr, reference, "real T2"), "edge_corr with the input",
                  x_label);
  return canvas;
}

}  // namespace gan::train
