// NIfTI-1 volumes (.nii, .nii.gz) through niftilib. A volume is read as float voxels (the file's
// scl_slope/scl_inter applied) plus the geometry needed to write a result that lines up with the
// input in any viewer: dims, voxel sizes, qform and sform (codes and matrices), units.
#pragma once
#include <array>
#include <string>
#include <vector>

namespace gan::io {

// The spatial header fields of a NIfTI-1 file that an output volume copies from its input.
struct NiftiGeometry {
  std::array<float, 8> pixdim{};          // pixdim[1..3] = voxel size; pixdim[0] = qfac
  int qform_code = 0, sform_code = 0;     // NIFTI_XFORM_* codes
  float quatern_b = 0, quatern_c = 0, quatern_d = 0;
  float qoffset_x = 0, qoffset_y = 0, qoffset_z = 0;
  float qfac = 1;
  std::array<std::array<float, 4>, 4> srow{};  // sform matrix (sto_xyz), row-major
  int xyz_units = 0, time_units = 0;      // NIFTI_UNITS_* codes
  std::string descrip;                    // <= 79 characters
};

struct Volume {
  int nx = 0, ny = 0, nz = 0;   // x varies fastest in voxels
  int datatype = 0;             // NIfTI DT_* code of the file it came from
  NiftiGeometry geometry;
  std::vector<float> voxels;    // nx * ny * nz values, scl_slope/scl_inter applied
  size_t nonfinite_voxels = 0;  // NaN/inf voxels of the file (or of its scaling), read as 0
  float at(int x, int y, int z) const {
    return voxels[(static_cast<size_t>(z) * ny + y) * nx + x];
  }
};

// The voxel -> world (RAS+, millimetres) affine of a volume, row-major 4x4: the sform when its
// code is set, else the qform (quaternion, voxel sizes, qfac) when its code is set, else the voxel
// sizes on the diagonal (NIfTI's "method 1": orientation unknown). The sform comes first, as in
// nibabel: it is what registration tools write.
using Affine = std::array<std::array<double, 4>, 4>;
Affine voxel_to_ras(const NiftiGeometry& g);

// Limits of what load_nifti accepts.
constexpr int kMaxNiftiDim = 4096;
constexpr size_t kMaxNiftiVoxels = size_t(1) << 28;

// Loads a 3-D volume (or 4-D with nt == 1; 2-D is read as nz == 1). Validates before reading the
// data: each dim in 1..4096, total voxels <= 2^28, datatype one of uint8, int16, uint16, int32,
// float32, float64; then checks the file held all the data (a truncated file is an error).
// Non-finite voxels are read as 0 and counted in nonfinite_voxels; none finite at all is an error.
// Throws gan::InputError("<path>: <problem>").
Volume load_nifti(const std::string& path);

// Writes `voxels` (nx*ny*nz of like_input) as a float32 volume with like_input's dims and geometry,
// scl_slope 1 / scl_inter 0. The extension of path (.nii or .nii.gz) picks the compression.
// Atomic (temp file with the same extension, then rename). Throws std::invalid_argument for a
// voxel count mismatch or an unsupported extension, gan::InputError if the file can't be written.
void save_nifti(const std::string& path, const Volume& like_input, const std::vector<float>& voxels);

// True for .nii and .nii.gz (any case).
bool is_nifti_file_name(const std::string& path);

}  // namespace gan::io
