// PNG charts: the bitmap font and the canvas primitives pixel by pixel, the line chart's layout,
// and quality.csv read and drawn (tools/quality.sh's chart).
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "core/error.h"
#include "tests/train/temp_dir.h"
#include "train/report/bitmap_font.h"
#include "train/report/canvas.h"
#include "train/report/quality_chart.h"
#include "train/report/raster_chart.h"

using namespace gan::train;

namespace {

bool same(Rgb a, Rgb b, float tol = 1e-6f) {
  return std::abs(a.r - b.r) <= tol && std::abs(a.g - b.g) <= tol && std::abs(a.b - b.b) <= tol;
}

// Pixels of the canvas within `tol` of colour c.
int count_colour(const Canvas& canvas, Rgb c, int x0 = 0, int x1 = -1, float tol = 0.02f) {
  if (x1 < 0) x1 = canvas.width();
  int n = 0;
  for (int y = 0; y < canvas.height(); ++y)
    for (int x = x0; x < x1; ++x) n += same(canvas.at(x, y), c, tol);
  return n;
}

}  // namespace

TEST_CASE("bitmap font: glyph bits, and text draws them at the given scale and alignment", "[report][chart]") {
  // 'T': a full top row, then the middle column.
  const uint8_t* t = glyph_rows('T');
  CHECK(t[0] == 0x1f);
  for (int r = 1; r < 7; ++r) CHECK(t[r] == 0x04);
  CHECK(t[7] == 0);
  CHECK(glyph_rows('\x01') == glyph_rows('?'));
  CHECK(glyph_rows('g')[7] != 0);  // a descender

  Canvas c(40, 20);
  const Rgb black{0, 0, 0}, white{1, 1, 1};
  c.text(3, 2, "T", black, 2);
  for (int y = 0; y < 20; ++y)
    for (int x = 0; x < 40; ++x) {
      const int fx = (x - 3) / 2, fy = (y - 2) / 2;
      const bool on = x >= 3 && y >= 2 && fx < kGlyphWidth && fy < kGlyphHeight && (t[fy] & (0x10 >> fx));
      INFO(x << "," << y);
      CHECK(same(c.at(x, y), on ? black : white));
    }
  CHECK(Canvas::text_width("ab", 1) == 11);
  Canvas r(40, 10);
  r.text(30, 0, "T", black, 1, TextAlign::right);  // the right end at x = 30
  CHECK(same(r.at(29, 0), black));
  CHECK(same(r.at(30, 0), white));
  CHECK(same(r.at(25, 0), black));
  CHECK(same(r.at(24, 0), white));
}

TEST_CASE("canvas: a 2-pixel line covers its rows, dashes leave gaps, a disc is round", "[report][chart]") {
  const Rgb red = rgb_hex(0xff0000);
  CHECK(same(red, {1, 0, 0}));
  Canvas c(50, 20);
  c.polyline({{5, 10}, {45, 10}}, red, 2);
  // Centre y = 10, half width 1: coverage 1.5 - distance, so row 10 full and rows 9 and 11 half.
  for (int x = 6; x < 45; ++x) {
    CHECK(same(c.at(x, 10), red));
    CHECK(c.at(x, 9).g < 0.55f);
    CHECK(same(c.at(x, 5), {1, 1, 1}));
  }
  Canvas d(50, 20);
  d.polyline({{0, 10}, {40, 10}}, red, 2, 5);  // dashes 0-5, 10-15, 20-25, ...
  CHECK(same(d.at(2, 10), red));
  CHECK(same(d.at(7, 10), {1, 1, 1}));
  CHECK(same(d.at(12, 10), red));
  CHECK(same(d.at(17, 10), {1, 1, 1}));

  Canvas e(20, 20);
  e.disc(10, 10, 4, red);
  CHECK(same(e.at(10, 10), red));
  CHECK(same(e.at(13, 10), red));
  CHECK(same(e.at(10, 16), {1, 1, 1}));
  // Anti-aliased rim: (13, 13) is 4.24 from the centre, covered 4.5 - 4.24 = 0.26.
  CHECK(e.at(13, 13).g == Approx(1 - (4.5 - std::hypot(3.0, 3.0))).margin(1e-4));
  CHECK_THROWS_AS(Canvas(0, 5), gan::InputError);
}

TEST_CASE("line chart: every series in its colour, a dashed level for a reference, no data said", "[report][chart]") {
  Canvas c(400, 260);
  ChartSeries a{"a", {0, 1, 2}, {1, 3, 2}};
  ChartSeries b{"b", {0, 2}, {2, 2}};
  b.dashed = true, b.markers = false;
  draw_line_chart(c, {0, 0, 400, 260}, {a, b}, "title", "x");
  CHECK(count_colour(c, chart_colour(0)) > 100);
  CHECK(count_colour(c, chart_colour(1)) > 50);
  CHECK(count_colour(c, chart_colour(2)) == 0);

  Canvas empty(400, 260);
  draw_line_chart(empty, {0, 0, 400, 260}, {ChartSeries{"a", {NAN}, {1}}}, "title", "x");
  CHECK(count_colour(empty, chart_colour(0)) == 0);
}

TEST_CASE("quality.csv: read by column name, drawn in three panels", "[report][chart]") {
  gan::testing::TempDir dir;
  gan::testing::write_bytes(dir.file("q.csv"),
                            "recipe,kind,minutes,train_minutes,steps,psnr,ssim,mae,fg_psnr,fg_ssim,fg_mae,edge_corr,"
                            "edge_corr_target\n"
                            "identity,baseline,,,,16,0.3,0.1,12,0.03,0.2,1,0.6\n"
                            "seed,model,5,5.01,400,18,0.6,0.05,15,0.42,0.1,0.7,0.6\n"
                            "seed,model,15,15.0,1200,20,0.7,0.04,17,0.51,0.08,0.65,0.6\n");
  std::vector<QualityRow> rows = read_quality_csv(dir.file("q.csv"));
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].kind == "baseline");
  CHECK(std::isnan(rows[0].minutes));
  CHECK(rows[2].recipe == "seed");
  CHECK(rows[2].minutes == 15);
  CHECK(rows[2].fg_ssim == 0.51);
  CHECK(rows[2].edge_corr == 0.65);
  CHECK(rows[1].edge_corr_target == 0.6);

  Canvas chart = quality_chart(rows);
  CHECK(chart.width() == 1320);
  CHECK(chart.height() == 340);
  // The recipe (colour 0) and the baseline (colour 1) in each panel; "real T2" (colour 2) only in
  // the edge_corr panel.
  for (int p = 0; p < 3; ++p) {
    INFO("panel " << p);
    CHECK(count_colour(chart, chart_colour(0), 440 * p, 440 * (p + 1)) > 50);
    CHECK(count_colour(chart, chart_colour(1), 440 * p, 440 * (p + 1)) > 50);
    CHECK((count_colour(chart, chart_colour(2), 440 * p, 440 * (p + 1)) > 20) == (p == 2));
  }

  gan::testing::write_bytes(dir.file("bad.csv"), "recipe,kind,minutes,psnr,fg_ssim\nseed,model,5,1,1\n");
  CHECK_THROWS_WITH(read_quality_csv(dir.file("bad.csv")), dir.file("bad.csv") + ": no column 'edge_corr' in the header");
  gan::testing::write_bytes(dir.file("short.csv"), "recipe,kind,minutes,psnr,fg_ssim,edge_corr\nseed,model\n");
  CHECK_THROWS_WITH(read_quality_csv(dir.file("short.csv")), Catch::Contains("line 2 has 2 cells"));
  CHECK_THROWS_AS(read_quality_csv(dir.file("missing.csv")), gan::InputError);
}
