// Small volumes for the data tests: a random "head" in a given storage order, and the same volume
// re-stored with its voxel axes permuted and flipped (with the affine that keeps every voxel at
// the same place in the body).
#pragma once
#include <array>
#include <cmath>
#include <random>

#include "train/io/nifti_io.h"

namespace gan::testing {

// nx x ny x nz voxels stored like an axial DICOM series (LPS order): x toward the patient's left,
// y toward posterior, z toward superior; spacing dx, dy, dz. Voxels inside an ellipsoid are random
// in [100, 1100); the rest is 0.
inline io::Volume make_head_volume(int nx, int ny, int nz, double dx, double dy, double dz, unsigned seed = 1) {
  io::Volume v;
  v.nx = nx, v.ny = ny, v.nz = nz;
  v.datatype = 16;  // DT_FLOAT32
  v.voxels.resize(static_cast<size_t>(nx) * ny * nz);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(100.f, 1100.f);
  for (int z = 0; z < nz; ++z)
    for (int y = 0; y < ny; ++y)
      for (int x = 0; x < nx; ++x) {
        const double ex = (x + 0.5) / nx * 2 - 1, ey = (y + 0.5) / ny * 2 - 1, ez = (z + 0.5) / nz * 2 - 1;
        const bool inside = ex * ex + ey * ey + ez * ez < 0.9;
        v.voxels[(static_cast<size_t>(z) * ny + y) * nx + x] = inside ? u(rng) : 0.f;
      }
  io::NiftiGeometry& g = v.geometry;
  g.pixdim = {1.f, float(dx), float(dy), float(dz), 0, 0, 0, 0};
  g.sform_code = 1;
  g.srow = {{{float(-dx), 0, 0, float(dx * nx / 2)},
             {0, float(-dy), 0, float(dy * ny / 2)},
             {0, 0, float(dz), float(-dz * nz / 2)},
             {0, 0, 0, 1}}};
  g.xyz_units = 2;  // mm
  return v;
}

// The same voxels stored with new axis a = old axis perm[a], reversed where flip[a].
inline io::Volume restore_volume(const io::Volume& v, std::array<int, 3> perm, std::array<bool, 3> flip) {
  const int old_dims[3] = {v.nx, v.ny, v.nz};
  io::Volume w = v;
  int dims[3];
  for (int a = 0; a < 3; ++a) dims[a] = old_dims[perm[a]];
  w.nx = dims[0], w.ny = dims[1], w.nz = dims[2];
  for (int k = 0; k < dims[2]; ++k)
    for (int j = 0; j < dims[1]; ++j)
      for (int i = 0; i < dims[0]; ++i) {
        const int idx[3] = {i, j, k};
        int old[3];
        for (int a = 0; a < 3; ++a) old[perm[a]] = flip[a] ? dims[a] - 1 - idx[a] : idx[a];
        w.voxels[(static_cast<size_t>(k) * dims[1] + j) * dims[0] + i] = v.at(old[0], old[1], old[2]);
      }
  const auto& s = v.geometry.srow;
  auto& t = w.geometry.srow;
  for (int r = 0; r < 3; ++r) {
    t[r][3] = s[r][3];
    for (int a = 0; a < 3; ++a) {
      t[r][a] = flip[a] ? -s[r][perm[a]] : s[r][perm[a]];
      if (flip[a]) t[r][3] += s[r][perm[a]] * float(dims[a] - 1);
    }
  }
  for (int a = 0; a < 3; ++a) w.geometry.pixdim[a + 1] = v.geometry.pixdim[perm[a] + 1];
  return w;
}

}  // namespace gan::testing
