#include "train/eval/volume_metrics.h"

#include <nifti1_io.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "core/error.h"
#include "train/eval/metrics_report.h"

namespace gan::train {

namespace {

std::string dims_text(const io::Volume& v) {
  return std::to_string(v.nx) + "x" + std::to_string(v.ny) + "x" + std::to_string(v.nz);
}

// The scores of one axial slice (height ny, width nx), its foreground from the target; the structure
// sums (with an input slice) over the input's foreground.
VolumeSums score_slice(const float* p, const float* t, const float* in, int nx, int ny) {
  const size_t n = static_cast<size_t>(nx) * ny;
  std::vector<uint8_t> mask = foreground_mask(t, ny, nx);
  VolumeSums s;
  for (size_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(p[i]) - t[i];
    s.squared += d * d, s.absolute += std::abs(d);
    if (mask[i]) s.squared_fg += d * d, s.absolute_fg += std::abs(d), ++s.voxels_fg;
  }
  s.voxels = n;
  // SSIM only where there is something to compare: an all-background slice (above the head, or a
  // padded end slice) would score a meaningless near-1 and dilute the mean.
  if (s.voxels_fg > 0) {
    s.ssim = ssim(p, t, ny, nx), s.slices = 1;
    const double fg = ssim(p, t, ny, nx, mask.data());
    if (!std::isnan(fg)) s.ssim_fg = fg, s.slices_fg = 1;
  }
  if (in) {
    const std::vector<uint8_t> input_mask = foreground_mask(in, ny, nx);
    s.edges = edge_sums(in, p, ny, nx, input_mask.data());
    s.edges_target = edge_sums(in, t, ny, nx, input_mask.data());
  }
  return s;
}

}  // namespace

VolumeSums& VolumeSums::operator+=(const VolumeSums& o) {
  squared += o.squared, absolute += o.absolute, squared_fg += o.squared_fg, absolute_fg += o.absolute_fg;
  voxels += o.voxels, voxels_fg += o.voxels_fg;
  ssim += o.ssim, ssim_fg += o.ssim_fg, slices += o.slices, slices_fg += o.slices_fg;
  edges += o.edges, edges_target += o.edges_target;
  return *this;
}

ImageMetrics metrics_from_sums(const VolumeSums& s) {
  auto mean = [](double sum, double count) { return count > 0 ? sum / count : kNaN; };
  ImageMetrics m;
  m.psnr = psnr_from_mse(mean(s.squared, static_cast<double>(s.voxels)));
  m.mae = mean(s.absolute, static_cast<double>(s.voxels));
  m.ssim = mean(s.ssim, s.slices);
  m.psnr_fg = psnr_from_mse(mean(s.squared_fg, static_cast<double>(s.voxels_fg)));
  m.mae_fg = mean(s.absolute_fg, static_cast<double>(s.voxels_fg));
  m.ssim_fg = mean(s.ssim_fg, s.slices_fg);
  m.edge_corr = s.edges.correlation();
  m.edge_corr_target = s.edges_target.correlation();
  return m;
}

VolumeSums score_volume(const float* pred, const float* target, int nx, int ny, int nz, const float* input) {
  const size_t plane = static_cast<size_t>(nx) * ny;
  std::vector<VolumeSums> per_slice(static_cast<size_t>(nz));
  std::string error;
#pragma omp parallel for schedule(dynamic)
  for (int z = 0; z < nz; ++z) {
    try {
      per_slice[z] = score_slice(pred + plane * z, target + plane * z, input ? input + plane * z : nullptr, nx, ny);
    } catch (const std::exception& e) {
#pragma omp critical(volume_metrics_error)
      if (error.empty()) error = e.what();
    }
  }
  if (!error.empty()) throw InputError(error);
  // Summed in slice order, so the result does not depend on the thread count.
  VolumeSums total;
  for (const auto& s : per_slice) total += s;
  return total;
}

VolumeSums compare_volumes(const io::Volume& pred, const io::Volume& target) {
  require_same_grid(pred, "pred", target, "target");
  // Each through its own window: MRI intensities have no absolute scale, and gan_infer writes a
  // translation on its input's scale (a T1 scan's numbers for a synthetic T2).
  std::vector<float> p = to_unit_range(pred.voxels, robust_window(pred.voxels));
  std::vector<float> t = to_unit_range(target.voxels, robust_window(target.voxels));
  return score_volume(p.data(), t.data(), target.nx, target.ny, target.nz);
}

std::vector<float> to_unit_range(const std::vector<float>& voxels, const IntensityWindow& window) {
  std::vector<float> out(voxels.size());
  for (size_t i = 0; i < voxels.size(); ++i) out[i] = window.to_unit(voxels[i]);
  return out;
}

void invert_foreground_volume(std::vector<float>& voxels, int nx, int ny, int nz) {
  const size_t plane = static_cast<size_t>(nx) * ny;
  std::vector<float> slice(plane);
  for (int z = 0; z < nz; ++z) {
    auto first = voxels.begin() + static_cast<std::ptrdiff_t>(plane * z);
    std::copy(first, first + static_cast<std::ptrdiff_t>(plane), slice.begin());
    invert_foreground(slice, ny, nx);
    std::copy(slice.begin(), slice.end(), first);
  }
}

void require_same_grid(const io::Volume& pred, const std::string& pred_name, const io::Volume& target,
                       const std::string& target_name) {
  if (pred.nx != target.nx || pred.ny != target.ny || pred.nz != target.nz) {
    throw InputError(pred_name + ": dims " + dims_text(pred) + " differ from " + target_name + " (" +
                     dims_text(target) + ")");
  }
  const io::Affine a = io::voxel_to_ras(pred.geometry), b = io::voxel_to_ras(target.geometry);
  double worst = 0;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) worst = std::max(worst, std::abs(a[r][c] - b[r][c]));
  if (worst > kAffineTolerance) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3g", worst);
    throw InputError(pred_name + ": voxel-to-world affine differs from " + target_name + "'s (largest entry difference " +
                     buf + "; the volumes must be on the same grid)");
  }
}

}  // namespace gan::train
