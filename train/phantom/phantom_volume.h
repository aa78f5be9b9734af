// The MRI phantom as whole-head NIfTI volumes: the same anatomy, tissue maps and signal equation as
// the PNG slices (slice k of a volume is exactly render_phantom_slice(..., slice k, ...)), stored
// like a DICOM-converted axial scan. docs/phantom.md ("Volumes") describes the layout.
//
// Storage (LPS voxel order): voxel x = image column (towards the patient's left), voxel y = image
// row (row 0 = anterior, towards posterior), voxel z = slice (inferior to superior). The affine
// (sform and qform, code 1 = scanner) maps voxels to RAS+ millimetres:
//   column axis (-dx, 0, 0), row axis (0, -dy, 0), slice axis (0, 0, dz),
// with the centre of the field of view and of the slab at world (0, 0, 0).
#pragma once
#include <string>
#include <vector>

#include "train/io/nifti_io.h"
#include "train/phantom/phantom.h"

namespace gan::train {

// Physical size of the phantom. The image side (the [-1, 1] square of the anatomy) spans
// kPhantomFovMm; one unit of anatomical height (skull base to vertex) is kPhantomHeadHeightMm,
// which makes the head's vertical semi-axis (0.72 units, phantom_anatomy.cpp) about 94 mm, next
// to its 82 mm left-right and 96 mm front-back semi-axes. The slab of slices is
// kSlabLevels * kPhantomHeadHeightMm = 58.5 mm high.
constexpr double kPhantomFovMm = 240.0;
constexpr double kPhantomHeadHeightMm = 130.0;

struct VoxelSize {
  double dx = 0, dy = 0, dz = 0;  // mm: column, row, slice
};
// dx = dy = FOV / size; dz = slab height / slices (the slices are contiguous, no gap).
VoxelSize phantom_voxel_size(const PhantomOptions& options);

// The NIfTI header geometry of every phantom volume of these options (see the top of this file).
io::NiftiGeometry phantom_volume_geometry(const PhantomOptions& options);

// One file of the volume data set. Subjects are numbered as in plan_phantom_dataset.
struct PhantomVolumeFile {
  std::string split;      // "trainA", "trainB", "testA", "testB"
  int subject = 0;
  // trainA "subj003_t1.nii.gz", trainB "subj011_t2.nii.gz", testA/testB "subj016.nii.gz";
  // paired: trainA/trainB "subj003.nii.gz" (one name per subject, as in the test set)
  std::string file_name;
  bool t2 = false;
};
std::vector<PhantomVolumeFile> plan_phantom_volumes(const PhantomOptions& options);

// The float32 volume of one subject in one contrast: options.size x options.size x options.slices
// voxels in [0, 1], geometry phantom_volume_geometry(options).
io::Volume render_phantom_volume(const PhantomOptions& options, int subject, bool t2);

// Writes every planned volume as .nii.gz (PhantomFormat::nifti of write_phantom_dataset).
PhantomSummary write_phantom_volumes(const PhantomOptions& options);

}  // namespace gan::train
