#include "train/report/raster_chart.h"

#include <algorithm>
#include <cmath>

#include "train/report/bitmap_font.h"
#include "train/report/chart_scale.h"

namespace gan::train {

Rgb chart_colour(size_t k) {
  // The SVG charts' palette (report.cpp), so a recipe looks the same in both.
  static const uint32_t palette[] = {0x1f77b4, 0xd62728, 0x2ca02c, 0xff7f0e, 0x9467bd, 0x8c564b, 0xe377c2, 0x17becf};
  return rgb_hex(palette[k % 8]);
}

void draw_line_chart(Canvas& canvas, const ChartBox& box, const std::vector<ChartSeries>& series,
                     const std::string& title, const std::string& x_label) {
  const Rgb ink = rgb_hex(0x222222), grid = rgb_hex(0xe6e6e6), frame = rgb_hex(0x888888);
  double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
  for (const ChartSeries& s : series)
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i)
      if (std::isfinite(s.x[i]) && std::isfinite(s.y[i])) {
        x0 = std::min(x0, s.x[i]), x1 = std::max(x1, s.x[i]);
        y0 = std::min(y0, s.y[i]), y1 = std::max(y1, s.y[i]);
      }
  canvas.text(box.x + box.width / 2, box.y + 4, title, ink, 2, TextAlign::centre);

  // The legend's column at the right, as wide as the longest name.
  int legend = 0;
  for (const ChartSeries& s : series) legend = std::max(legend, Canvas::text_width(s.name));
  if (legend > 0) legend += 34;
  const int left = box.x + 58, right = box.x + box.width - 10 - legend;
  const int top = box.y + 8 + 2 * kLineHeight, bottom = box.y + box.height - 12 - 2 * kLineHeight;
  if (right - left < 20 || bottom - top < 20) return;  // no room for a plot
  canvas.text((left + right) / 2, bottom + 8 + kLineHeight, x_label, ink, 1, TextAlign::centre);
  if (x0 > x1) {
    canvas.polyline({{left, top}, {right, top}, {right, bottom}, {left, bottom}, {left, top}}, frame);
    canvas.text((left + right) / 2, (top + bottom) / 2, "no data", ink, 1, TextAlign::centre);
    return;
  }
  if (x1 == x0) x0 -= 0.5, x1 += 0.5;
  if (y1 == y0) y0 -= 0.5, y1 += 0.5;
  const double margin = 0.05 * (y1 - y0);
  y0 -= margin, y1 += margin;
  auto X = [&](double v) { return left + (v - x0) / (x1 - x0) * (right - left); };
  auto Y = [&](double v) { return bottom - (v - y0) / (y1 - y0) * (bottom - top); };

  const double sy = nice_tick_step(y1 - y0, 5), sx = nice_tick_step(x1 - x0, 6);
  for (double v = std::ceil(y0 / sy) * sy; v <= y1 + 1e-9 * sy; v += sy) {
    const int py = static_cast<int>(std::lround(Y(v)));
    canvas.fill_rect(left, py, right, py + 1, grid);
    canvas.text(left - 5, py - kGlyphHeight / 2, tick_label(std::abs(v) < 1e-9 * sy ? 0.0 : v), ink, 1,
                TextAlign::right);
  }
  for (double v = std::ceil(x0 / sx) * sx; v <= x1 + 1e-9 * sx; v += sx) {
    const int px = static_cast<int>(std::lround(X(v)));
    canvas.fill_rect(px, top, px + 1, bottom, grid);
    canvas.text(px, bottom + 5, tick_label(std::abs(v) < 1e-9 * sx ? 0.0 : v), ink, 1, TextAlign::centre);
  }
  canvas.polyline({{left, top}, {right, top}, {right, bottom}, {left, bottom}, {left, top}}, frame);

  for (size_t k = 0; k < series.size(); ++k) {
    const ChartSeries& s = series[k];
    const Rgb c = chart_colour(k);
    std::vector<std::pair<double, double>> points;
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i)
      if (std::isfinite(s.x[i]) && std::isfinite(s.y[i])) points.push_back({X(s.x[i]), Y(s.y[i])});
    canvas.polyline(points, c, 2, s.dashed ? 6 : 0);
    if (s.markers)
      for (const auto& [px, py] : points) canvas.disc(px, py, 3, c);
    // Legend entry: a short line (dashed like the series) and the name.
    const int ly = top + 4 + static_cast<int>(k) * (kLineHeight + 6), lx = right + 12;
    canvas.polyline({{lx, ly + 3.5}, {lx + 16, ly + 3.5}}, c, 2, s.dashed ? 4 : 0);
    canvas.text(lx + 22, ly, s.name, c);
  }
}

}  // namespace gan::train
