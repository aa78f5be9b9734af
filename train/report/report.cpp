#include "train/report/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"
#include "train/io/atomic_file.h"
#include "train/report/chart_scale.h"

namespace fs = std::filesystem;

namespace gan::train {

std::string html_escape(const std::string& s) {
  std::string r;
  for (char c : s) {
    switch (c) {
      case '&': r += "&amp;"; break;
      case '<': r += "&lt;"; break;
      case '>': r += "&gt;"; break;
      case '"': r += "&quot;"; break;
      default: r += c;
    }
  }
  return r;
}

static std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  for (char c : line) {
    if (c == ',') {
      cells.push_back(cell);
      cell.clear();
    } else if (c != '\r') {
      cell += c;
    }
  }
  cells.push_back(cell);
  return cells;
}

CsvTable read_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path + ": cannot open CSV file");
  CsvTable t;
  std::string line;
  if (!std::getline(in, line)) return t;
  t.columns = split_csv_line(line);
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> cells = split_csv_line(line);
    std::vector<double> row(t.columns.size(), std::numeric_limits<double>::quiet_NaN());
    for (size_t j = 0; j < cells.size() && j < row.size(); ++j) {
      char* end = nullptr;
      double v = std::strtod(cells[j].c_str(), &end);
      if (end != cells[j].c_str()) row[j] = v;
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

std::string svg_line_chart(const std::vector<Series>& series, const std::string& title,
                           const std::string& x_label, int width, int height) {
  static const char* colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                 "#9467bd", "#8c564b", "#e377c2", "#17becf"};
  double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
  for (const Series& s : series)
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i)
      if (std::isfinite(s.x[i]) && std::isfinite(s.y[i])) {
        x0 = std::min(x0, s.x[i]); x1 = std::max(x1, s.x[i]);
        y0 = std::min(y0, s.y[i]); y1 = std::max(y1, s.y[i]);
      }
  std::ostringstream o;
  o << "<svg xmlns='http://www.w3.org/2000/svg' width='" << width << "' height='" << height
    << "' viewBox='0 0 " << width << " " << height << "' font-family='sans-serif' font-size='11'>"
    << "<rect width='100%' height='100%' fill='white'/>"
    << "<text x='" << width / 2 << "' y='14' text-anchor='middle' font-size='13'>"
    << html_escape(title) << "</text>";
  if (x0 > x1) {
    o << "<text x='" << width / 2 << "' y='" << height / 2 << "' text-anchor='middle'>no data yet</text></svg>";
    return o.str();
  }
  if (x1 == x0) x1 = x0 + 1;
  if (y1 == y0) { y1 += 0.5; y0 -= 0.5; }
  const double L = 52, R = width - 10.0, T = 24, B = height - 34.0;
  auto X = [&](double v) { return L + (v - x0) / (x1 - x0) * (R - L); };
  auto Y = [&](double v) { return B - (v - y0) / (y1 - y0) * (B - T); };
  // grid and ticks
  double sy = nice_tick_step(y1 - y0, 5);
  for (double v = std::ceil(y0 / sy) * sy; v <= y1 + 1e-12; v += sy)
    o << "<line x1='" << L << "' x2='" << R << "' y1='" << Y(v) << "' y2='" << Y(v)
      << "' stroke='#eee'/><text x='" << L - 4 << "' y='" << Y(v) + 4
      << "' text-anchor='end'>" << tick_label(v) << "</text>";
  double sx = nice_tick_step(x1 - x0, 6);
  for (double v = std::ceil(x0 / sx) * sx; v <= x1 + 1e-12; v += sx)
    o << "<text x='" << X(v) << "' y='" << B + 14 << "' text-anchor='middle'>" << tick_label(v) << "</text>";
  o << "<rect x='" << L << "' y='" << T << "' width='" << R - L << "' height='" << B - T
    << "' fill='none' stroke='#888'/>"
    << "<text x='" << (L + R) / 2 << "' y='" << height - 4 << "' text-anchor='middle'>"
    << html_escape(x_label) << "</text>";
  for (size_t k = 0; k < series.size(); ++k) {
    const Series& s = series[k];
    const char* c = colors[k % 8];
    // Thin to at most ~600 points per line; the moving average sees every point.
    size_t n = std::min(s.x.size(), s.y.size()), every = std::max<size_t>(1, n / 600);
    double alpha = std::min(0.5, 20.0 / std::max<size_t>(n, 1)), ema = NAN;
    std::ostringstream raw, smooth;
    for (size_t i = 0; i < n; ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      ema = std::isnan(ema) || !s.smooth ? s.y[i] : ema + alpha * (s.y[i] - ema);
      if (i % every && i + 1 != n) continue;
      raw << X(s.x[i]) << "," << Y(s.y[i]) << " ";
      smooth << X(s.x[i]) << "," << Y(ema) << " ";
    }
    if (s.smooth)
      o << "<polyline fill='none' stroke='" << c << "' stroke-opacity='0.25' points='" << raw.str() << "'/>";
    o << "<polyline fill='none' stroke='" << c << "' stroke-width='1.6' points='" << smooth.str() << "'/>"
      << "<text x='" << L + 8 << "' y='" << T + 14 + 13 * k << "' fill='" << c << "'>"
      << html_escape(s.name) << "</text>";
  }
  o << "</svg>";
  return o.str();
}

static std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int column_index(const CsvTable& t, const std::string& name) {
  for (size_t j = 0; j < t.columns.size(); ++j)
    if (t.columns[j] == name) return static_cast<int>(j);
  return -1;
}

std::vector<std::pair<std::string, std::vector<int>>> loss_chart_groups(
    const std::vector<std::string>& columns) {
  static const char* suffixes[] = {"_AB", "_BA", "_A", "_B"};
  std::vector<std::pair<std::string, std::vector<int>>> groups;
  for (size_t j = 0; j < columns.size(); ++j) {
    const std::string& c = columns[j];
    if (c.empty() || c == "step" || c == "epoch" || c == "seconds") continue;
    std::string key = c;
    for (const char* suf : suffixes) {
      std::string s(suf);
      if (key.size() > s.size() && key.compare(key.size() - s.size(), s.size(), s) == 0) {
        key.resize(key.size() - s.size());
        break;
      }
    }
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == key; });
    if (it == groups.end()) groups.push_back({key, {static_cast<int>(j)}});
    else it->second.push_back(static_cast<int>(j));
  }
  return groups;
}

RunProgress summarize_progress(const CsvTable& t, int batch) {
  RunProgress p;
  int step = column_index(t, "step"), epoch = column_index(t, "epoch"), secs = column_index(t, "seconds");
  if (step < 0 || t.rows.empty()) return p;
  // `seconds` restarts from 0 when a run is resumed: add up each segment's last time and steps.
  double seg_start_step = t.rows[0][step] - 1, prev_secs = -1, timed_steps = 0;
  for (size_t i = 0; i < t.rows.size(); ++i) {
    double s = secs >= 0 ? t.rows[i][secs] : NAN;
    if (std::isfinite(s) && s < prev_secs) {  // a new segment begins at row i
      p.seconds += prev_secs;
      timed_steps += t.rows[i - 1][step] - seg_start_step;
      seg_start_step = t.rows[i][step] - 1;
    }
    if (std::isfinite(s)) prev_secs = s;
  }
  if (prev_secs > 0) {
    p.seconds += prev_secs;
    timed_steps += t.rows.back()[step] - seg_start_step;
  }
  p.steps = static_cast<int64_t>(t.rows.back()[step]);
  p.epochs = epoch >= 0 && std::isfinite(t.rows.back()[epoch])
                 ? static_cast<int64_t>(t.rows.back()[epoch]) + 1 : 0;
  p.images_per_second = p.seconds > 0 ? timed_steps * batch / p.seconds : 0.0;
  return p;
}

void write_run_report(const std::string& run_dir, const std::string& title,
                      const std::vector<ReportSection>& extra, const std::string& report_dir) {
  fs::path run(run_dir), report = report_dir.empty() ? run / "report" : fs::path(report_dir);
  std::error_code ec;
  fs::create_directories(report, ec);
  if (ec) throw InputError(report.string() + ": cannot create directory: " + ec.message());
  // Where the run's samples are, seen from the page.
  const std::string samples_url =
      fs::relative(fs::absolute(run / "samples"), fs::absolute(report), ec).generic_string() + "/";

  std::ostringstream h;
  h << "<!doctype html><html><head><meta charset='utf-8'><title>" << html_escape(title)
    << "</title><style>body{font-family:sans-serif;margin:24px;max-width:1400px}"
       "img{image-rendering:pixelated;max-width:100%;border:1px solid #ccc}"
       "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
       "th{background:#f4f4f4}.charts svg{margin:4px}</style></head><body><h1>"
    << html_escape(title) << "</h1>";

  for (const ReportSection& s : extra) h << "<h2>" << html_escape(s.title) << "</h2>" << s.html;

  fs::path csv = run / "losses.csv";
  fs::path config = run / "config.json";
  nlohmann::json cfg;
  if (fs::exists(config)) {
    try {
      cfg = nlohmann::json::parse(read_text(config));
    } catch (const std::exception&) {
      cfg = nlohmann::json();  // shown as unreadable below
    }
  }
  if (fs::exists(csv)) {
    CsvTable t = read_csv(csv.string());
    const int batch = cfg.is_object() && cfg.contains("batch") && cfg["batch"].is_number_integer()
                          ? cfg["batch"].get<int>() : 1;
    RunProgress p = summarize_progress(t, batch);
    h << "<h2>Training</h2>";
    if (p.steps > 0) {
      char b[256];
      std::snprintf(b, sizeof b,
                    "<p>%lld steps (%lld epochs) in %.1f min of training, %.2f images/s.</p>",
                    static_cast<long long>(p.steps), static_cast<long long>(p.epochs),
                    p.seconds / 60.0, p.images_per_second);
      h << b;
    }
    // Loss curves: one chart per loss, the two directions (A/B, AB/BA) of a loss together.
    h << "<h3>Losses</h3>";
    h << "<div class='charts'>";
    for (const auto& [group, series_columns] : loss_chart_groups(t.columns)) {
      std::vector<Series> series;
      int step_col = column_index(t, "step");
      for (int j : series_columns) {
        Series s{t.columns[j], {}, {}};
        s.smooth = t.columns[j] != "lr";  // the learning rate is a schedule, not a noisy measurement
        for (size_t i = 0; i < t.rows.size(); ++i) {
          s.x.push_back(step_col >= 0 ? t.rows[i][step_col] : static_cast<double>(i));
          s.y.push_back(t.rows[i][j]);
        }
        series.push_back(std::move(s));
      }
      h << svg_line_chart(series, group, "step");
    }
    h << "</div>";
  }

  // Samples: the animation and the newest grids. A pix2pix run shows its pairs' targets where a
  // CycleGAN shows reconstructions.
  const bool pix2pix = cfg.is_object() && cfg.contains("mode") && cfg["mode"] == "pix2pix";
  const char* columns = pix2pix ? "input | translated | target" : "input | translated | reconstructed";
  fs::path samples = run / "samples";
  if (fs::exists(samples / "progress.gif"))
    h << "<h2>Samples over training</h2><p>Each frame: " << columns
      << ", one epoch per frame.</p><img src='" << html_escape(samples_url) << "progress.gif'>";
  std::vector<std::string> grids;
  if (fs::is_directory(samples))
    for (const auto& e : fs::directory_iterator(samples))
      if (e.path().extension() == ".png") grids.push_back(e.path().filename().string());
  std::sort(grids.rbegin(), grids.rend());
  if (!grids.empty()) {
    h << "<h2>Newest samples</h2><p>Rows: fixed " << (pix2pix ? "training pairs" : "held-out images")
      << "; columns: " << columns << ".</p>";
    for (size_t i = 0; i < grids.size() && i < 3; ++i)
      h << "<p>" << html_escape(grids[i]) << "<br><img src='" << html_escape(samples_url + grids[i])
        << "'></p>";
  }

  if (fs::exists(config)) {
    h << "<h2>Configuration</h2><table>";
    if (cfg.is_object()) {
      for (auto it = cfg.begin(); it != cfg.end(); ++it)
        h << "<tr><th>" << html_escape(it.key()) << "</th><td>" << html_escape(it.value().dump())
          << "</td></tr>";
    } else {
      h << "<tr><td>config.json unreadable</td></tr>";
    }
    h << "</table>";
  }
  h << "</body></html>\n";
  io::write_file_atomic((report / "index.html").string(), h.str());
}

}  // namespace gan::train
