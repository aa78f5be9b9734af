// The HTML report of a training run: loss curves (SVG, drawn here), the newest sample grids and the
// progress animation, the configuration, and optional extra sections (e.g. evaluation tables).
// Written to <run_dir>/report/index.html, atomically; refreshed by gan_train at each epoch, so a
// browser pointed at it shows the run as it goes.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace gan::train {

struct CsvTable {
  std::vector<std::string> columns;
  std::vector<std::vector<double>> rows;  // rows[i][j] = value of columns[j]; NaN if unparsable
};
// Reads a CSV with a header row and numeric cells. Throws gan::InputError on a missing file.
CsvTable read_csv(const std::string& path);

struct Series {
  std::string name;
  std::vector<double> x, y;
  bool smooth = true;  // false: a schedule or other exact curve, drawn as it is
};
// An SVG line chart: every series drawn raw (faint) and smoothed (exponential moving average,
// solid), with axes, ticks and a legend; a series with smooth = false is drawn as it is (solid),
// since a moving average would lag it. Non-finite points are skipped.
std::string svg_line_chart(const std::vector<Series>& series, const std::string& title,
                           const std::string& x_label, int width = 460, int height = 260);

// Index of a column by name, or -1.
int column_index(const CsvTable& t, const std::string& name);

// The charts of a losses.csv, chosen by column name (any columns: CycleGAN's, pix2pix's G_adv,
// G_L1, loss_G, D, ...): one per loss, the two directions of a loss on the same chart
// (adv_AB + adv_BA -> "adv", cycle_A + cycle_B -> "cycle", D_A + D_B -> "D"); step, epoch,
// seconds and unnamed columns are not plotted. Returns (chart title, column indices), in column
// order.
std::vector<std::pair<std::string, std::vector<int>>> loss_chart_groups(
    const std::vector<std::string>& columns);

// How far a run got, from its losses.csv (columns step, epoch, seconds).
struct RunProgress {
  int64_t steps = 0;   // the last row's step
  int64_t epochs = 0;  // epochs begun (the last row's 0-based epoch + 1)
  double seconds = 0;  // training time; `seconds` restarts at each resume, the segments are added
  double images_per_second = 0;  // steps x batch / seconds over the timed segments
};
RunProgress summarize_progress(const CsvTable& t, int batch);

struct ReportSection {
  std::string title;
  std::string html;  // inserted as is
};

// Writes <report_dir>/index.html (report_dir defaults to <run_dir>/report) from the run's
// losses.csv, config.json, samples/*.png and samples/progress.gif (whatever exists), after the
// `extra` sections. Image paths in the page are relative, so the folders can be moved together.
void write_run_report(const std::string& run_dir, const std::string& title,
                      const std::vector<ReportSection>& extra = {},
                      const std::string& report_dir = "");

// HTML-escapes text.
std::string html_escape(const std::string& s);

}  // namespace gan::train
