#include "train/data/volume_slices.h"

#include <array>
#include <cmath>
#include <stdexcept>

#include "train/data/dataset.h"

namespace gan::train {
namespace {

// Body axes of RAS+: 0 = x (toward the patient's right), 1 = y (anterior), 2 = z (superior).
struct Target {
  int body;  // which body axis
  int sign;  // +1: index grows along +body, -1: against it
};

// Columns, rows, slices of each slice axis in the display convention of the header.
std::array<Target, 3> display_convention(SliceAxis axis) {
  switch (axis) {
    case SliceAxis::axial: return {{{0, -1}, {1, -1}, {2, +1}}};
    case SliceAxis::coronal: return {{{0, -1}, {2, -1}, {1, +1}}};
    case SliceAxis::sagittal: return {{{1, -1}, {2, -1}, {0, +1}}};
  }
  throw std::invalid_argument("unknown slice axis");
}

}  // namespace

SliceAxis parse_slice_axis(const std::string& name) {
  if (name == "axial") return SliceAxis::axial;
  if (name == "coronal") return SliceAxis::coronal;
  if (name == "sagittal") return SliceAxis::sagittal;
  throw std::invalid_argument("--slice-axis must be axial, coronal or sagittal, got '" + name + "'");
}

const char* slice_axis_name(SliceAxis axis) {
  switch (axis) {
    case SliceAxis::axial: return "axial";
    case SliceAxis::coronal: return "coronal";
    case SliceAxis::sagittal: return "sagittal";
  }
  return "?";
}

SlicePlan plan_slices(int nx, int ny, int nz, const io::Affine& m, SliceAxis axis) {
  const int dims[3] = {nx, ny, nz};
  double spacing[3];
  for (int a = 0; a < 3; ++a) {
    spacing[a] = std::sqrt(m[0][a] * m[0][a] + m[1][a] * m[1][a] + m[2][a] * m[2][a]);
    if (!(spacing[a] > 0) || !std::isfinite(spacing[a]))
      throw std::invalid_argument("volume affine: voxel axis " + std::to_string(a) +
                                  " has no length (degenerate orientation)");
  }
  // Greedy matching: the largest |direction cosine| left decides one (voxel axis, body axis) pair,
  // then both are taken out. For an axis-aligned scan this is exact; for an oblique one it picks
  // the nearest body axis of each voxel axis without giving two voxel axes the same body axis.
  int body_of[3] = {-1, -1, -1}, sign_of[3] = {0, 0, 0};
  bool body_taken[3] = {false, false, false};
  for (int round = 0; round < 3; ++round) {
    int best_a = -1, best_b = -1;
    double best = -1;
    for (int a = 0; a < 3; ++a) {
      if (body_of[a] >= 0) continue;
      for (int b = 0; b < 3; ++b) {
        if (body_taken[b]) continue;
        const double c = std::fabs(m[b][a]) / spacing[a];
        if (c > best) best = c, best_a = a, best_b = b;
      }
    }
    if (best < 1e-6) throw std::invalid_argument("volume affine: voxel axes are not independent");
    body_of[best_a] = best_b;
    sign_of[best_a] = m[best_b][best_a] > 0 ? 1 : -1;
    body_taken[best_b] = true;
  }
  const std::array<Target, 3> want = display_convention(axis);
  int voxel_axis[3];
  bool flip[3];
  for (int t = 0; t < 3; ++t) {
    for (int a = 0; a < 3; ++a)
      if (body_of[a] == want[t].body) voxel_axis[t] = a;
    flip[t] = sign_of[voxel_axis[t]] != want[t].sign;
  }
  SlicePlan p;
  p.axis = axis;
  p.col_axis = voxel_axis[0], p.row_axis = voxel_axis[1], p.slice_axis = voxel_axis[2];
  p.col_flip = flip[0], p.row_flip = flip[1], p.slice_flip = flip[2];
  p.width = dims[p.col_axis], p.height = dims[p.row_axis], p.count = dims[p.slice_axis];
  p.col_spacing = spacing[p.col_axis], p.row_spacing = spacing[p.row_axis];
  p.slice_spacing = spacing[p.slice_axis];
  const double fine = std::min(p.col_spacing, p.row_spacing);
  const double coarse = std::max(p.col_spacing, p.row_spacing);
  if (coarse - fine <= 1e-3 * coarse) {
    p.square_width = p.width, p.square_height = p.height;
  } else {
    p.square_width = std::max(1, static_cast<int>(std::lround(p.width * p.col_spacing / fine)));
    p.square_height = std::max(1, static_cast<int>(std::lround(p.height * p.row_spacing / fine)));
  }
  return p;
}

SlicePlan plan_slices(const io::Volume& v, SliceAxis axis) {
  return plan_slices(v.nx, v.ny, v.nz, io::voxel_to_ras(v.geometry), axis);
}

namespace {

// Offsets into the voxel array of every column and row of slice k, and of the slice itself.
struct SliceOffsets {
  std::vector<size_t> col, row;
  size_t base = 0;
};

SliceOffsets slice_offsets(const SlicePlan& p, int k) {
  if (k < 0 || k >= p.count)
    throw std::out_of_range("slice " + std::to_string(k) + " of " + std::to_string(p.count));
  size_t dims[3], stride[3];
  dims[p.col_axis] = static_cast<size_t>(p.width);
  dims[p.row_axis] = static_cast<size_t>(p.height);
  dims[p.slice_axis] = static_cast<size_t>(p.count);
  stride[0] = 1, stride[1] = dims[0], stride[2] = dims[0] * dims[1];
  auto at = [&](int axis, bool flip, size_t i) { return (flip ? dims[axis] - 1 - i : i) * stride[axis]; };
  SliceOffsets o;
  o.col.resize(static_cast<size_t>(p.width));
  o.row.resize(static_cast<size_t>(p.height));
  for (size_t c = 0; c < o.col.size(); ++c) o.col[c] = at(p.col_axis, p.col_flip, c);
  for (size_t r = 0; r < o.row.size(); ++r) o.row[r] = at(p.row_axis, p.row_flip, r);
  o.base = at(p.slice_axis, p.slice_flip, static_cast<size_t>(k));
  return o;
}

}  // namespace

std::vector<float> extract_slice(const io::Volume& v, const SlicePlan& p, int k) {
  const SliceOffsets o = slice_offsets(p, k);
  std::vector<float> out(o.col.size() * o.row.size());
  for (size_t r = 0; r < o.row.size(); ++r) {
    const float* src = v.voxels.data() + o.base + o.row[r];
    float* dst = out.data() + r * o.col.size();
    for (size_t c = 0; c < o.col.size(); ++c) dst[c] = src[o.col[c]];
  }
  return out;
}

void insert_slice(std::vector<float>& voxels, const SlicePlan& p, int k, const std::vector<float>& values) {
  const SliceOffsets o = slice_offsets(p, k);
  if (values.size() != o.col.size() * o.row.size())
    throw std::invalid_argument("insert_slice: " + std::to_string(values.size()) +
                                " values for a " + std::to_string(p.width) + "x" +
                                std::to_string(p.height) + " slice");
  for (size_t r = 0; r < o.row.size(); ++r) {
    float* dst = voxels.data() + o.base + o.row[r];
    const float* src = values.data() + r * o.col.size();
    for (size_t c = 0; c < o.col.size(); ++c) dst[o.col[c]] = src[c];
  }
}

io::Image normalised_slice(const io::Volume& v, const SlicePlan& p, int k, const IntensityWindow& window) {
  io::Image img;
  img.width = p.width, img.height = p.height, img.channels = 1, img.bit_depth = 16;
  img.pixels = extract_slice(v, p, k);
  for (float& x : img.pixels) x = window.to_unit(x);
  return img;
}

io::Image to_square_pixels(const io::Image& img, const SlicePlan& p) {
  if (!p.needs_resampling()) return img;
  return resize_image(img, p.square_width, p.square_height);
}

io::Image from_square_pixels(const io::Image& img, const SlicePlan& p) {
  if (img.width == p.width && img.height == p.height) return img;
  return resize_image(img, p.width, p.height);
}

double foreground_fraction(const float* values, size_t n, float level) {
  if (n == 0) return 0.0;
  size_t above = 0;
  for (size_t i = 0; i < n; ++i) above += values[i] > level;
  return static_cast<double>(above) / static_cast<double>(n);
}

}  // namespace gan::train
