// Scores of whole 3-D volumes (gan_eval's volume mode) built from the slice metrics of metrics.h:
// each volume is mapped to [0, 1] with its own robust_window (train/data/intensity.h), so the
// numbers use data range 1 like the slice scores. docs/evaluation.md states every convention.
//   PSNR, MAE:  over all voxels; *_fg over the voxels of the foreground mask.
//   SSIM:       the mean of the 2-D ssim() of the axial slices (the volume's third axis) that have
//               foreground; *_fg uses each slice's mask.
//   Foreground: foreground_mask() of each normalised target slice.
//   edge_corr:  with an input volume, structure_score.h over every axial slice, pooled: the
//               correlation of all the foreground pixels' gradient magnitudes (the input's mask).
#pragma once
#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "train/data/intensity.h"
#include "train/eval/metrics.h"
#include "train/eval/structure_score.h"
#include "train/io/nifti_io.h"

namespace gan::train {

// Sums behind the scores of one volume, so that several volumes can also be pooled: voxel-wise
// for PSNR and MAE, slice-wise for SSIM.
struct VolumeSums {
  double squared = 0, absolute = 0;        // over all voxels
  double squared_fg = 0, absolute_fg = 0;  // over foreground voxels
  size_t voxels = 0, voxels_fg = 0;
  double ssim = 0, ssim_fg = 0;            // sums over the slices with foreground
  int slices = 0, slices_fg = 0;           // slices summed into ssim / ssim_fg (ssim_fg may be NaN on a slice)
  EdgeSums edges, edges_target;            // gradient magnitudes of pred / target vs input (when given)
  VolumeSums& operator+=(const VolumeSums& o);
};
// The metrics of pooled sums (a single volume's sums give that volume's metrics).
ImageMetrics metrics_from_sums(const VolumeSums& sums);

// Scores pred against target, both already in [0, 1], nx * ny * nz voxels, x fastest. With an
// input (the same grid, in [0, 1]), also the structure sums of pred and target against it.
VolumeSums score_volume(const float* pred, const float* target, int nx, int ny, int nz,
                        const float* input = nullptr);

// Maps each volume to [0, 1] with its own robust_window and scores them (the grid must match:
// require_same_grid with the names "pred" and "target").
VolumeSums compare_volumes(const io::Volume& pred, const io::Volume& target);

// Each voxel mapped by window.to_unit.
std::vector<float> to_unit_range(const std::vector<float>& voxels, const IntensityWindow& window);

// The invert baseline slice by slice (values in [0, 1]): 1 - x inside each slice's own foreground
// mask, 0 outside (invert_foreground of metrics_report.h on every axial slice).
void invert_foreground_volume(std::vector<float>& voxels, int nx, int ny, int nz);

// The same grid: equal dims, else gan::InputError "<pred_name>: dims AxBxC differ from <target_name>
// (DxExF)"; equal voxel-to-world affines within kAffineTolerance per entry, else a one-line
// InputError naming both files.
constexpr double kAffineTolerance = 1e-3;
void require_same_grid(const io::Volume& pred, const std::string& pred_name, const io::Volume& target,
                       const std::string& target_name);


}  // namespace gan::train
