// A line chart drawn into a Canvas (canvas.h), for charts that must be PNG files rather than the
// run report's SVG: frame, grid, "nice" ticks, title, x label, one line per series with a marker
// at every point, and a legend at the right of the plot.
#pragma once
#include <string>
#include <vector>

#include "train/report/canvas.h"

namespace gan::train {

struct ChartSeries {
  std::string name;
  std::vector<double> x, y;  // non-finite points are skipped
  bool dashed = false;       // a reference level (a baseline) rather than a measurement
  bool markers = true;       // a disc at every point
};

struct ChartBox {
  int x = 0, y = 0, width = 0, height = 0;  // the chart's part of the canvas
};

// The chart of `series` in `box`: series k gets colour chart_colour(k). The axes span the finite
// points (a flat range is widened to +-0.5), the y axis with 5% margins. With no finite point the
// plot says "no data".
void draw_line_chart(Canvas& canvas, const ChartBox& box, const std::vector<ChartSeries>& series,
                     const std::string& title, const std::string& x_label);

// The colour of series k (a palette of 8, repeated).
Rgb chart_colour(size_t k);

}  // namespace gan::train
