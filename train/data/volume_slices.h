// 2-D slices of a 3-D volume along an anatomical axis (axial, coronal, sagittal), whatever the
// order the voxels are stored in. The volume's voxel -> RAS affine (io::voxel_to_ras) says which
// voxel axis runs along which body axis; each voxel axis is matched to the body axis it is
// closest to, so a slice is a plane of voxels (no interpolation across slices; an oblique scan is
// sliced along its nearest body axes). Slices come out in one display convention:
//
//   axial     columns: patient right -> left   rows: anterior -> posterior   slices: inferior -> superior
//   coronal   columns: patient right -> left   rows: superior -> inferior    slices: posterior -> anterior
//   sagittal  columns: anterior -> posterior   rows: superior -> inferior    slices: left -> right
//
// (radiological convention: the patient's right on the image's left, as a scanner console and
// most viewers show it). A scan stored sagittally therefore gives the same axial slices as the
// same scan stored axially. Pixels need not be square: square_size() gives the in-plane size after
// resampling to the finer of the two spacings, which the data loader and gan_infer apply.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "train/data/intensity.h"
#include "train/io/image_io.h"
#include "train/io/nifti_io.h"

namespace gan::train {

enum class SliceAxis { axial, coronal, sagittal };
// "axial" | "coronal" | "sagittal"; throws std::invalid_argument naming the flag otherwise.
SliceAxis parse_slice_axis(const std::string& name);
const char* slice_axis_name(SliceAxis axis);

// How the slices of one volume are read: for the image columns, rows and the slice index, which
// voxel axis (0 = x, 1 = y, 2 = z of the stored array) and whether it runs backwards.
struct SlicePlan {
  SliceAxis axis = SliceAxis::axial;
  int col_axis = 0, row_axis = 1, slice_axis = 2;
  bool col_flip = false, row_flip = false, slice_flip = false;
  int width = 0, height = 0, count = 0;  // pixels per row, rows, slices
  double col_spacing = 1, row_spacing = 1, slice_spacing = 1;  // mm between voxel centres
  // Size after resampling to square pixels of min(col_spacing, row_spacing); equal to
  // (width, height) when the pixels are square already (within 0.1 %).
  int square_width = 0, square_height = 0;
  bool needs_resampling() const { return square_width != width || square_height != height; }
};

// Matches voxel axes to body axes from the affine; throws std::invalid_argument for a degenerate
// affine (a zero or repeated axis).
SlicePlan plan_slices(int nx, int ny, int nz, const io::Affine& voxel_to_ras, SliceAxis axis);
SlicePlan plan_slices(const io::Volume& v, SliceAxis axis);

// Slice k (0 <= k < plan.count) as height x width values, row-major, in the display convention.
std::vector<float> extract_slice(const io::Volume& v, const SlicePlan& plan, int k);
// The inverse: writes height x width values back into the voxels of slice k.
void insert_slice(std::vector<float>& voxels, const SlicePlan& plan, int k, const std::vector<float>& values);

// Slice k as a grey image of plan.width x plan.height, each value mapped by window.to_unit: what
// the network sees of a volume (before square_pixels), in training and in gan_infer.
io::Image normalised_slice(const io::Volume& v, const SlicePlan& plan, int k, const IntensityWindow& window);

// A grey [0, 1] image of plan.width x plan.height resampled to square pixels (plan.square_*) and
// back (to plan.width x plan.height). Both return the image unchanged when nothing is needed.
io::Image to_square_pixels(const io::Image& img, const SlicePlan& plan);
io::Image from_square_pixels(const io::Image& img, const SlicePlan& plan);

// Fraction of the pixels above `level` (values in [0, 1]): how much of a slice the head covers.
// The data loader skips slices below --min-foreground.
constexpr float kForegroundLevel = 0.05f;
double foreground_fraction(const float* values, size_t n, float level = kForegroundLevel);

}  // namespace gan::train
