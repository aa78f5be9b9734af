// The chart of tools/quality.sh: test-set scores against training minutes, one line per recipe,
// the trivial baselines as dashed levels, in three panels (PSNR, foreground SSIM, edge_corr with
// the real target's edge_corr as the reference). docs/quality.md describes quality.csv.
#pragma once
#include <string>
#include <vector>

#include "train/report/canvas.h"

namespace gan::train {

// One row of quality.csv. kind is "model" (a recipe after `minutes` of training) or "baseline"
// (no training: minutes is NaN). Missing or unparsable numbers are NaN.
struct QualityRow {
  std::string recipe, kind;
  double minutes = 0, psnr = 0, fg_ssim = 0, edge_corr = 0, edge_corr_target = 0;
};

// Reads quality.csv (a header row naming at least recipe, kind, minutes, psnr, fg_ssim and
// edge_corr; edge_corr_target optional; other columns ignored). Throws gan::InputError naming the
// file for a missing file, a missing column, a row with fewer cells than the header, or no rows.
std::vector<QualityRow> read_quality_csv(const std::string& path);

// Three panels side by side, 1320 x 340 pixels.
Canvas quality_chart(const std::vector<QualityRow>& rows);

}  // namespace gan::train
