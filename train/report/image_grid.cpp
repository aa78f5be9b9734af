#include "train/report/image_grid.h"

#include <algorithm>
#include <stdexcept>

namespace gan::io {
namespace {

struct Cell {
  int c = 0, h = 0, w = 0;
  std::vector<float> chw;  // values in [0, 1]
};

Cell to_cell(const Tensor& t) {
  Cell cell;
  if (!t.defined()) return cell;
  if (!((t.ndim() == 4 && t.size(0) == 1) || t.ndim() == 3))
    throw std::invalid_argument("make_image_grid: expected [1, C, H, W] or [C, H, W], got " +
                                t.describe());
  const int o = t.ndim() - 3;
  cell.c = static_cast<int>(t.size(o));
  cell.h = static_cast<int>(t.size(o + 1));
  cell.w = static_cast<int>(t.size(o + 2));
  if (cell.c != 1 && cell.c != 3)
    throw std::invalid_argument("make_image_grid: expected 1 or 3 channels, got " + t.describe());
  std::vector<double> v = t.dtype() == DType::f64 ? t.to_vector<double>()
                                                  : [&] {
                                                      auto f = t.to_vector<float>();
                                                      return std::vector<double>(f.begin(), f.end());
                                                    }();
  cell.chw.resize(v.size());
  for (size_t i = 0; i < v.size(); ++i)
    cell.chw[i] = static_cast<float>(std::clamp((v[i] + 1.0) * 0.5, 0.0, 1.0));
  return cell;
}

}  // namespace

Image make_image_grid(const std::vector<std::vector<Tensor>>& rows, int gap, float background) {
  if (gap < 0) throw std::invalid_argument("make_image_grid: negative gap");
  std::vector<std::vector<Cell>> cells(rows.size());
  size_t ncols = 0;
  int channels = 1;
  for (size_t r = 0; r < rows.size(); ++r) {
    ncols = std::max(ncols, rows[r].size());
    for (const Tensor& t : rows[r]) {
      cells[r].push_back(to_cell(t));
      channels = std::max(channels, cells[r].back().c);
    }
  }
  std::vector<int> col_w(ncols, 0), row_h(rows.size(), 0);
  for (size_t r = 0; r < cells.size(); ++r)
    for (size_t c = 0; c < cells[r].size(); ++c) {
      col_w[c] = std::max(col_w[c], cells[r][c].w);
      row_h[r] = std::max(row_h[r], cells[r][c].h);
    }
  Image img;
  img.channels = channels;
  img.width = gap;
  for (int w : col_w) img.width += w + gap;
  img.height = gap;
  for (int h : row_h) img.height += h + gap;
  if (rows.empty() || ncols == 0) throw std::invalid_argument("make_image_grid: no images");
  img.pixels.assign(static_cast<size_t>(img.width) * img.height * channels, background);

  int y0 = gap;
  for (size_t r = 0; r < cells.size(); ++r) {
    int x0 = gap;
    for (size_t c = 0; c < ncols; ++c) {
      if (c < cells[r].size() && cells[r][c].c > 0) {
        const Cell& cell = cells[r][c];
        const int oy = y0 + (row_h[r] - cell.h) / 2, ox = x0 + (col_w[c] - cell.w) / 2;
        for (int y = 0; y < cell.h; ++y)
          for (int x = 0; x < cell.w; ++x)
            for (int ch = 0; ch < channels; ++ch) {
              const int src_c = cell.c == 1 ? 0 : ch;
              img.pixels[(static_cast<size_t>(oy + y) * img.width + ox + x) * channels + ch] =
                  cell.chw[(static_cast<size_t>(src_c) * cell.h + y) * cell.w + x];
            }
      }
      x0 += col_w[c] + gap;
    }
    y0 += row_h[r] + gap;
  }
  return img;
}

void save_image_grid(const std::string& path, const std::vector<std::vector<Tensor>>& rows,
                     int gap) {
  save_png(path, make_image_grid(rows, gap), 8);
}

}  // namespace gan::io
