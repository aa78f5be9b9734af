// gan_report: the HTML report of a translation experiment: a training run's losses and samples,
// a table of paired metrics (gan_eval JSON files: the model and any baselines), and a grid of test
// slices: input | translated | ground truth.
//   gan_report --run RUN_DIR --out REPORT_DIR --eval model=model.json --eval identity=id.json
//              --input testA --pred pred --target testB [--rows 6]
// Or the PNG chart of tools/quality.sh (scores against training minutes, one line per recipe):
//   gan_report --quality OUT/quality.csv --out OUT/quality.png
// Bad input prints one line and exits with code 2.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"
#include "train/data/dataset.h"
#include "train/report/image_grid.h"
#include "train/report/quality_chart.h"
#include "train/report/report.h"
#include "tools/parse_command_line.h"

namespace fs = std::filesystem;
using namespace gan;

namespace {

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path + ": cannot open");
  try {
    return nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    throw InputError(path + ": not valid JSON (" + e.what() + ")");
  }
}

// One row per "name=file.json" (gan_eval --json output of the paired mode).
std::string metrics_table(const std::vector<std::string>& evals) {
  static const char* keys[] = {"psnr", "ssim", "mae", "psnr_fg", "ssim_fg", "mae_fg"};
  std::ostringstream h;
  h << "<table><tr><th>prediction</th><th>PSNR (dB)</th><th>SSIM</th><th>MAE</th>"
       "<th>PSNR fg (dB)</th><th>SSIM fg</th><th>MAE fg</th><th>images</th></tr>";
  for (const std::string& e : evals) {
    size_t eq = e.find('=');
    if (eq == std::string::npos) throw InputError("--eval " + e + ": expected NAME=FILE.json");
    std::string name = e.substr(0, eq), path = e.substr(eq + 1);
    nlohmann::json j = read_json(path);
    if (!j.contains("mean")) throw InputError(path + ": no 'mean' metrics (a gan_eval --json file?)");
    h << "<tr><th>" << train::html_escape(name) << "</th>";
    for (const char* k : keys) {
      char buf[32];
      const auto& v = j["mean"][k];
      std::snprintf(buf, sizeof buf, v.is_number() ? (k[0] == 'p' ? "%.2f" : "%.4f") : "-",
                    v.is_number() ? v.get<double>() : 0.0);
      h << "<td>" << buf << "</td>";
    }
    h << "<td>" << j.value("count", 0) << "</td></tr>";
  }
  h << "</table><p>PSNR, SSIM (Gaussian 11x11, sigma 1.5) and MAE on [0, 1] images, data range 1; "
       "'fg' = inside the target's foreground mask (docs/evaluation.md).</p>";
  return h.str();
}

}  // namespace

int main(int argc, char** argv) {
  std::string run, out, input, pred, target, quality, title = "T1 -> T2 translation report";
  std::vector<std::string> evals;
  int rows = 6;
  CLI::App app{"Writes an HTML report: training curves and samples, metric tables, test grid; or, with "
               "--quality, the PNG chart of a tools/quality.sh run."};
  app.add_option("--run", run, "Run dir written by gan_train (required without --quality)");
  app.add_option("--out", out, "Report folder (index.html and test_grid.png go there); with --quality, the PNG file")
      ->required();
  app.add_option("--quality", quality,
                 "quality.csv of tools/quality.sh: draw its scores against training minutes into --out (PNG)");
  app.add_option("--eval", evals, "NAME=FILE: a gan_eval --json file (repeat for baselines)");
  app.add_option("--input", input, "Folder of test inputs (for the grid)");
  app.add_option("--pred", pred, "Folder of translated test images (same names as --input)");
  app.add_option("--target", target, "Folder of ground-truth targets (same names)");
  app.add_option("--rows", rows, "Test slices in the grid")->capture_default_str();
  app.add_option("--title", title, "Page title")->capture_default_str();
  if (const int rc = gan::tools::parse_command_line(app, "gan_report", argc, argv); rc >= 0)
    return rc;
  try {
    if (!quality.empty()) {
      if (!run.empty()) throw InputError("--quality draws a chart: give it without --run");
      io::save_png(out, train::quality_chart(train::read_quality_csv(quality)).image(), 8);
      std::printf("gan_report: wrote %s\n", out.c_str());
      return 0;
    }
    if (run.empty()) throw InputError("--run: required (or --quality CSV for the chart of tools/quality.sh)");
    std::vector<train::ReportSection> sections;
    if (!evals.empty()) sections.push_back({"Paired test set: model vs baselines", metrics_table(evals)});
    if (!input.empty() && !pred.empty() && !target.empty()) {
      std::vector<std::string> files = train::list_image_files(input);
      std::vector<std::vector<Tensor>> grid;
      // Evenly spaced slices through the test set.
      int n = std::min<int>(rows, static_cast<int>(files.size()));
      for (int r = 0; r < n; ++r) {
        std::string name = fs::path(files[r * files.size() / n]).filename().string();
        grid.push_back({train::load_image_tensor(files[r * files.size() / n]),
                        train::load_image_tensor((fs::path(pred) / name).string()),
                        train::load_image_tensor((fs::path(target) / name).string())});
      }
      fs::create_directories(out);
      io::save_image_grid((fs::path(out) / "test_grid.png").string(), grid);
      sections.push_back({"Test slices",
                          "<p>Columns: T1 input | translated to T2 by the model | real T2 of the "
                          "same slice (ground truth, never seen in training).</p>"
                          "<img src='test_grid.png'>"});
    }
    train::write_run_report(run, title, sections, out);
    std::printf("gan_report: wrote %s\n", (fs::path(out) / "index.html").c_str());
  } catch (const InputError& e) {
    std::fprintf(stderr, "gan_report: error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gan_report: error: %s\n", e.what());
    return 2;
  }
  return 0;
}
