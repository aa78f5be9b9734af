// A grid of images for training samples: e.g. one row per sample with the columns
// real A | translated A->B | reconstructed A->B->A, separated by a small gap.
#pragma once
#include <string>
#include <vector>

#include "core/tensor.h"
#include "train/io/image_io.h"

namespace gan::io {

// rows[r][c] is a [1, C, H, W] or [C, H, W] tensor with values in [-1, 1] (clamped), any device
// and dtype; C is 1 or 3. Cells may differ in size: each column is as wide as its widest cell,
// each row as tall as its tallest, smaller cells are centred. Rows may have different lengths.
// The result has 3 channels if any cell has 3, else 1; gaps and empty space are `background`.
Image make_image_grid(const std::vector<std::vector<Tensor>>& rows, int gap = 2,
                      float background = 1.f);
// make_image_grid + save_png (8-bit).
void save_image_grid(const std::string& path, const std::vector<std::vector<Tensor>>& rows,
                     int gap = 2);

}  // namespace gan::io
