// Axis ticks shared by the charts (the SVG charts of the run report and the PNG charts of
// raster_chart.h): "nice" steps and short labels.
#pragma once
#include <string>

namespace gan::train {

// A tick step of 1, 2 or 5 times a power of ten giving about `target` ticks over `span`; 1 for an
// empty or invalid span.
double nice_tick_step(double span, int target);

// A short tick label: 4 significant digits, or 2 in exponent form for very large or small values.
std::string tick_label(double value);

}  // namespace gan::train
