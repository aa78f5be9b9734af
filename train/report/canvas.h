// An RGB drawing surface for PNG charts: filled rectangles, anti-aliased polylines (solid or
// dashed), discs and 5x7 bitmap text (bitmap_font.h). Coordinates are pixels, x right, y down;
// everything is clipped to the canvas.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "train/io/image_io.h"

namespace gan::train {

struct Rgb {
  float r = 0, g = 0, b = 0;  // [0, 1]
};
// 0xRRGGBB -> Rgb.
Rgb rgb_hex(uint32_t hex);

enum class TextAlign { left, centre, right };

class Canvas {
 public:
  Canvas(int width, int height, Rgb background = {1, 1, 1});
  int width() const { return width_; }
  int height() const { return height_; }
  Rgb at(int x, int y) const;

  // Mixes colour c into pixel (x, y) with weight alpha in [0, 1]; pixels off the canvas are ignored.
  void blend(int x, int y, Rgb c, float alpha = 1.f);
  // The pixels [x0, x1) x [y0, y1).
  void fill_rect(int x0, int y0, int x1, int y1, Rgb c);
  // A line through the points, `width` pixels wide, anti-aliased; with dash > 0, dashes and gaps of
  // `dash` pixels each, continuing across the points. Each pixel is painted once, so the joints of
  // a polyline are no darker than its segments.
  void polyline(const std::vector<std::pair<double, double>>& points, Rgb c, double width = 1, double dash = 0);
  void disc(double cx, double cy, double radius, Rgb c);
  // Text whose top edge is at y and whose left end, centre or right end (align) is at x; each font
  // pixel is scale x scale pixels.
  void text(int x, int y, const std::string& s, Rgb c, int scale = 1, TextAlign align = TextAlign::left);
  static int text_width(const std::string& s, int scale = 1);

  // The canvas as a 3-channel image.
  io::Image image() const;

 private:
  int width_, height_;
  std::vector<float> rgb_;  // height x width x 3
};

}  // namespace gan::train
