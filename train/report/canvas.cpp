#include "train/report/canvas.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "train/report/bitmap_font.h"

namespace gan::train {

Rgb rgb_hex(uint32_t hex) {
  return {((hex >> 16) & 0xff) / 255.f, ((hex >> 8) & 0xff) / 255.f, (hex & 0xff) / 255.f};
}

Canvas::Canvas(int width, int height, Rgb background) : width_(width), height_(height) {
  if (width < 1 || height < 1 || width > io::kMaxImageSide || height > io::kMaxImageSide)
    throw InputError("canvas: size " + std::to_string(width) + "x" + std::to_string(height) + " out of range");
  rgb_.resize(static_cast<size_t>(width) * height * 3);
  for (size_t i = 0; i < rgb_.size(); i += 3)
    rgb_[i] = background.r, rgb_[i + 1] = background.g, rgb_[i + 2] = background.b;
}

Rgb Canvas::at(int x, int y) const {
  const float* p = &rgb_[(static_cast<size_t>(y) * width_ + x) * 3];
  return {p[0], p[1], p[2]};
}

void Canvas::blend(int x, int y, Rgb c, float alpha) {
  if (x < 0 || y < 0 || x >= width_ || y >= height_ || !(alpha > 0)) return;
  alpha = std::min(alpha, 1.f);
  float* p = &rgb_[(static_cast<size_t>(y) * width_ + x) * 3];
  p[0] += alpha * (c.r - p[0]), p[1] += alpha * (c.g - p[1]), p[2] += alpha * (c.b - p[2]);
}

void Canvas::fill_rect(int x0, int y0, int x1, int y1, Rgb c) {
  for (int y = std::max(y0, 0); y < std::min(y1, height_); ++y)
    for (int x = std::max(x0, 0); x < std::min(x1, width_); ++x) blend(x, y, c);
}

void Canvas::polyline(const std::vector<std::pair<double, double>>& points, Rgb c, double width, double dash) {
  if (points.size() < 2) return;
  const double half = width / 2;
  // Coverage of every pixel near the line: the largest over the segments, blended once at the end.
  double x_lo = 1e300, x_hi = -1e300, y_lo = 1e300, y_hi = -1e300;
  for (const auto& [px, py] : points)
    x_lo = std::min(x_lo, px), x_hi = std::max(x_hi, px), y_lo = std::min(y_lo, py), y_hi = std::max(y_hi, py);
  const int bx0 = std::max(0, static_cast<int>(std::floor(x_lo - half - 1)));
  const int by0 = std::max(0, static_cast<int>(std::floor(y_lo - half - 1)));
  const int bx1 = std::min(width_ - 1, static_cast<int>(std::ceil(x_hi + half + 1)));
  const int by1 = std::min(height_ - 1, static_cast<int>(std::ceil(y_hi + half + 1)));
  if (bx0 > bx1 || by0 > by1) return;
  const int bw = bx1 - bx0 + 1;
  std::vector<float> coverage(static_cast<size_t>(bw) * (by1 - by0 + 1), 0.f);
  double run = 0;  // length of the line before the current segment, for the dash pattern
  for (size_t k = 0; k + 1 < points.size(); ++k) {
    const auto [ax, ay] = points[k];
    const auto [qx, qy] = points[k + 1];
    const double dx = qx - ax, dy = qy - ay, len2 = dx * dx + dy * dy, len = std::sqrt(len2);
    const int x0 = std::max(bx0, static_cast<int>(std::floor(std::min(ax, qx) - half - 1)));
    const int x1 = std::min(bx1, static_cast<int>(std::ceil(std::max(ax, qx) + half + 1)));
    const int y0 = std::max(by0, static_cast<int>(std::floor(std::min(ay, qy) - half - 1)));
    const int y1 = std::min(by1, static_cast<int>(std::ceil(std::max(ay, qy) + half + 1)));
    for (int y = y0; y <= y1; ++y)
      for (int x = x0; x <= x1; ++x) {
        const double t = len2 > 0 ? std::clamp(((x - ax) * dx + (y - ay) * dy) / len2, 0.0, 1.0) : 0.0;
        if (dash > 0 && std::fmod(run + t * len, 2 * dash) >= dash) continue;
        const double d = std::hypot(x - (ax + t * dx), y - (ay + t * dy));
        const float cov = static_cast<float>(std::clamp(half + 0.5 - d, 0.0, 1.0));
        float& slot = coverage[static_cast<size_t>(y - by0) * bw + (x - bx0)];
        slot = std::max(slot, cov);
      }
    run += len;
  }
  for (int y = by0; y <= by1; ++y)
    for (int x = bx0; x <= bx1; ++x) blend(x, y, c, coverage[static_cast<size_t>(y - by0) * bw + (x - bx0)]);
}

void Canvas::disc(double cx, double cy, double radius, Rgb c) {
  for (int y = static_cast<int>(std::floor(cy - radius - 1)); y <= static_cast<int>(std::ceil(cy + radius + 1)); ++y)
    for (int x = static_cast<int>(std::floor(cx - radius - 1)); x <= static_cast<int>(std::ceil(cx + radius + 1)); ++x)
      blend(x, y, c, static_cast<float>(std::clamp(radius + 0.5 - std::hypot(x - cx, y - cy), 0.0, 1.0)));
}

int Canvas::text_width(const std::string& s, int scale) {
  return s.empty() ? 0 : (static_cast<int>(s.size()) * kGlyphAdvance - 1) * scale;
}

void Canvas::text(int x, int y, const std::string& s, Rgb c, int scale, TextAlign align) {
  const int w = text_width(s, scale);
  if (align == TextAlign::centre) x -= w / 2;
  if (align == TextAlign::right) x -= w;
  for (size_t i = 0; i < s.size(); ++i) {
    const uint8_t* rows = glyph_rows(s[i]);
    const int gx = x + static_cast<int>(i) * kGlyphAdvance * scale;
    for (int r = 0; r < kGlyphHeight; ++r)
      for (int col = 0; col < kGlyphWidth; ++col)
        if (rows[r] & (0x10 >> col))
          fill_rect(gx + col * scale, y + r * scale, gx + (col + 1) * scale, y + (r + 1) * scale, c);
  }
}

io::Image Canvas::image() const {
  io::Image img;
  img.width = width_, img.height = height_, img.channels = 3;
  img.pixels = rgb_;
  return img;
}

}  // namespace gan::train
