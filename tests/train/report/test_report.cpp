// The run report: CSV reading, SVG charts, index.html from a run directory.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "train/report/report.h"
#include "tests/train/temp_dir.h"

namespace fs = std::filesystem;
using gan::testing::read_bytes;
using namespace gan::train;

TEST_CASE("read_csv parses the header and numeric rows", "[report]") {
  fs::path dir = fs::temp_directory_path() / "gan_test_report_csv";
  fs::create_directories(dir);
  std::ofstream(dir / "l.csv") << "step,loss_G,lr\n1,2.5,0.0002\n2,oops,0.0002\n";
  CsvTable t = read_csv((dir / "l.csv").string());
  REQUIRE(t.columns == std::vector<std::string>{"step", "loss_G", "lr"});
  REQUIRE(t.rows.size() == 2);
  CHECK(t.rows[0][1] == 2.5);
  CHECK(std::isnan(t.rows[1][1]));
  CHECK_THROWS_AS(read_csv((dir / "missing.csv").string()), gan::InputError);
  fs::remove_all(dir);
}

TEST_CASE("svg_line_chart draws one polyline pair per series with finite coordinates", "[report]") {
  Series a{"cycle", {1, 2, 3, 4}, {4, 3, 2, 1}};
  Series b{"adv & <id>", {1, 2, 3, 4}, {1, 1, 1, 1}};
  std::string svg = svg_line_chart({a, b}, "losses", "step");
  size_t lines = 0;
  for (size_t p = svg.find("<polyline"); p != std::string::npos; p = svg.find("<polyline", p + 1)) ++lines;
  CHECK(lines == 4);
  CHECK(svg.find("adv &amp; &lt;id&gt;") != std::string::npos);
  CHECK(svg.find("nan") == std::string::npos);
  CHECK(svg_line_chart({}, "empty", "step").find("no data yet") != std::string::npos);
}

TEST_CASE("svg_line_chart draws a schedule as it is: one line through the exact values", "[report]") {
  Series lr{"lr", {1, 2, 3, 4, 5, 6}, {2e-4, 2e-4, 2e-4, 1e-4, 5e-5, 0}};
  lr.smooth = false;
  const std::string svg = svg_line_chart({lr}, "lr", "step");
  size_t lines = 0;
  for (size_t p = svg.find("<polyline"); p != std::string::npos; p = svg.find("<polyline", p + 1)) ++lines;
  CHECK(lines == 1);
  // The last point sits on the bottom of the plot (y = 0 is the minimum), not above it as a lagging
  // moving average would put it.
  const size_t pts = svg.find("points='");
  REQUIRE(pts != std::string::npos);
  const std::string points = svg.substr(pts + 8, svg.find('\'', pts + 8) - pts - 8);
  const std::string last = points.substr(points.rfind(' ', points.size() - 2) + 1);
  const double y_last = std::stod(last.substr(last.find(',') + 1));
  const std::string first = points.substr(0, points.find(' '));
  const double y_first = std::stod(first.substr(first.find(',') + 1));
  CHECK(y_last > y_first);  // SVG y grows downward: the rate fell to its minimum
  CHECK(y_last == Approx(260 - 34.0));  // the default chart height minus the bottom margin
}

TEST_CASE("write_run_report builds index.html from what the run dir holds", "[report]") {
  fs::path run = fs::temp_directory_path() / "gan_test_report_run";
  fs::remove_all(run);
  fs::create_directories(run / "samples");
  std::ofstream(run / "losses.csv") << "step,G_adv,cycle_A,lr,seconds\n1,0.7,0.5,0.0002,0.1\n2,0.6,0.4,0.0002,0.2\n";
  std::ofstream(run / "config.json") << R"({"gen": "unet", "size": 32})";
  std::ofstream(run / "samples" / "epoch_001.png") << "x";
  write_run_report(run.string(), "test run", {{"Evaluation", "<table><tr><td>42</td></tr></table>"}});
  std::string html = read_bytes(run / "report" / "index.html");
  CHECK(html.find("<h1>test run</h1>") != std::string::npos);
  CHECK(html.find("G_adv") != std::string::npos);
  CHECK(html.find("cycle_A") != std::string::npos);
  CHECK(html.find("seconds</text>") == std::string::npos);  // time column not plotted
  CHECK(html.find("../samples/epoch_001.png") != std::string::npos);
  CHECK(html.find("&quot;unet&quot;") != std::string::npos);
  CHECK(html.find("<td>42</td>") != std::string::npos);
  fs::remove_all(run);
}

TEST_CASE("loss_chart_groups puts both directions of a loss on one chart", "[report]") {
  std::vector<std::string> cols = {"step", "epoch", "adv_AB", "adv_BA", "cycle_A", "cycle_B", "identity_A",
                                   "identity_B", "loss_G", "D_A", "D_B", "lr", "seconds"};
  auto g = loss_chart_groups(cols);
  std::vector<std::string> titles;
  for (const auto& [title, idx] : g) titles.push_back(title);
  CHECK(titles == std::vector<std::string>{"adv", "cycle", "identity", "loss_G", "D", "lr"});
  CHECK(g[0].second == std::vector<int>{2, 3});
  CHECK(g[4].second == std::vector<int>{9, 10});
  CHECK(g[3].second == std::vector<int>{8});
  // Columns appended after the others (gradient norms, structure terms) get their own charts.
  cols.insert(cols.end(), {"grad_norm_G", "grad_norm_D", "structure_A", "structure_B"});
  g = loss_chart_groups(cols);
  REQUIRE(g.size() == 9);
  CHECK(g[8].first == "structure");
  CHECK(g[8].second == std::vector<int>{15, 16});
}

TEST_CASE("summarize_progress adds up the timed segments of a resumed run", "[report]") {
  CsvTable t;
  t.columns = {"step", "epoch", "loss_G", "seconds"};
  // steps 1..4 in 2 s, then resumed: steps 5..6 in 1 s (seconds restart).
  t.rows = {{1, 0, 1, 0.5}, {2, 0, 1, 1.0}, {3, 1, 1, 1.5}, {4, 1, 1, 2.0}, {5, 2, 1, 0.5}, {6, 2, 1, 1.0}};
  RunProgress p = summarize_progress(t, 2);
  CHECK(p.steps == 6);
  CHECK(p.epochs == 3);
  CHECK(p.seconds == Approx(3.0));
  CHECK(p.images_per_second == Approx(6 * 2 / 3.0));
  CHECK(summarize_progress(CsvTable{}, 1).steps == 0);
}

TEST_CASE("write_run_report links the progress animation, the newest grids first, and the speed", "[report]") {
  fs::path run = fs::temp_directory_path() / "gan_test_report_gif";
  fs::remove_all(run);
  fs::create_directories(run / "samples");
  std::ofstream(run / "losses.csv") << "step,epoch,adv_AB,adv_BA,lr,seconds\n1,0,0.7,0.8,0.0002,1\n2,0,0.6,0.7,0.0002,2\n";
  std::ofstream(run / "config.json") << R"({"batch": 3})";
  for (const char* f : {"epoch_001.png", "epoch_002.png", "progress.gif"}) std::ofstream(run / "samples" / f) << "x";
  fs::path report = run / "elsewhere" / "report";
  write_run_report(run.string(), "gif run", {}, report.string());
  std::string html = read_bytes(report / "index.html");
  CHECK(html.find("../../samples/progress.gif") != std::string::npos);
  size_t newest = html.find("epoch_002.png"), older = html.find("epoch_001.png");
  REQUIRE(newest != std::string::npos);
  REQUIRE(older != std::string::npos);
  CHECK(newest < older);
  CHECK(html.find("2 steps (1 epochs)") != std::string::npos);
  CHECK(html.find("3.00 images/s") != std::string::npos);
  // adv_AB and adv_BA share one chart: two series, each drawn raw and smoothed.
  size_t svg = html.find("<svg"), end = html.find("</svg>", svg), lines = 0;
  for (size_t p = html.find("<polyline", svg); p < end; p = html.find("<polyline", p + 1)) ++lines;
  CHECK(lines == 4);
  fs::remove_all(run);
}

TEST_CASE("a pix2pix losses.csv gets a chart per loss by name, and its samples are pairs", "[report]") {
  std::vector<std::string> cols = {"step", "epoch", "G_adv", "G_L1", "loss_G", "D", "lr", "seconds", ""};
  auto g = loss_chart_groups(cols);
  std::vector<std::string> titles;
  for (const auto& [title, idx] : g) titles.push_back(title);
  CHECK(titles == std::vector<std::string>{"G_adv", "G_L1", "loss_G", "D", "lr"});
  CHECK(g[3].second == std::vector<int>{5});

  fs::path run = fs::temp_directory_path() / "gan_test_report_pix2pix";
  fs::remove_all(run);
  fs::create_directories(run / "samples");
  // A short row and an unparsable cell are drawn around, not fatal.
  std::ofstream(run / "losses.csv") << "step,epoch,G_adv,G_L1,loss_G,D,lr,seconds\n"
                                       "1,0,0.7,0.5,50.7,0.69,0.0002,0.1\n2,0,0.6,x,40.6\n";
  std::ofstream(run / "config.json") << R"({"mode": "pix2pix", "batch": 1})";
  std::ofstream(run / "samples" / "epoch_001.png") << "x";
  write_run_report(run.string(), "p2p");
  std::string html = read_bytes(run / "report" / "index.html");
  for (const char* chart : {">G_adv</text>", ">G_L1</text>", ">loss_G</text>", ">D</text>"})
    CHECK(html.find(chart) != std::string::npos);
  CHECK(html.find("input | translated | target") != std::string::npos);
  CHECK(html.find("reconstructed") == std::string::npos);
  CHECK(html.find("2 steps") != std::string::npos);
  fs::remove_all(run);
}
