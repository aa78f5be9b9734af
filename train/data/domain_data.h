// One training domain (all T1 or all T2 data): the 2-D images, NIfTI volumes and DICOM series of
// one folder, seen as one list of 2-D samples. An image file is one sample; a volume gives its
// slices along an anatomical axis (train/data/volume_slices.h), normalised per volume to [0, 1]
// (train/data/intensity.h, the same window gan_infer uses), resampled to square pixels, with the
// slices that are mostly background left out.
//
// Memory stays bounded whatever the size of the data: volume slices are prepared once into a
// slice cache (<cache_dir>/<tag>.slices, float32, and an index <tag>.json) and read back one at a
// time with pread; only one volume is in memory while the cache is built. The cache is reused while
// the sources (names, sizes, modification times) and the slicing options are unchanged, so a
// resumed run sees the very same samples in the very same order.
//
// Paired data (train/data/paired_data.h) builds one domain with the other as its partner: volume v
// of both is the same subject, on the same voxel grid, and a slice is kept only when both keep it.
#pragma once
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "train/data/volume_slices.h"
#include "train/io/dicom_io.h"
#include "train/io/image_io.h"
#include "train/io/nifti_io.h"

namespace gan::train {

class DomainData;

struct DomainOptions {
  SliceAxis slice_axis = SliceAxis::axial;
  // Slices whose foreground_fraction (pixels above 5 % of the volume's intensity window) is below
  // this are skipped. docs/data.md explains the default.
  double min_foreground = 0.10;
  std::string cache_dir;  // where volume slices are cached; required when the folder has volumes
  std::string tag = "data";  // cache file names: <tag>.slices, <tag>.json
  std::ostream* log = nullptr;  // per-volume slice counts and cache progress (nullptr: quiet)
  // Paired data: the domain whose volume v pairs with this one's volume v (same count, same order).
  // Each volume must have its partner's voxel grid (gan::InputError naming both otherwise) and a
  // slice is kept only when the partner kept it too. nullptr: unpaired.
  const DomainData* partner = nullptr;
};

// A volume in a data folder: a NIfTI file, or a DICOM series (a folder of its files).
struct VolumeSource {
  enum class Kind { nifti, dicom } kind = Kind::nifti;
  std::string name;               // what logs and errors call it: the file, or folder + series
  std::string path;               // NIfTI only: the file
  io::DicomSeriesFiles series;    // DICOM only: the folder and the series' files
};
// Reads any volume source as voxels + NIfTI-style geometry (a DICOM series' LPS geometry is
// converted to RAS). Throws gan::InputError naming the file.
io::Volume load_volume(const VolumeSource& source);

// The .nii / .nii.gz files directly in a folder (not hidden), sorted by name.
std::vector<std::string> find_nifti_files(const std::string& dir);

// The volumes of a folder, sorted by name: *.nii / *.nii.gz files, DICOM series among the files of
// the folder (grouped by SeriesInstanceUID) and in each of its sub-folders.
std::vector<VolumeSource> find_volumes(const std::string& dir);

// What a data folder holds: its readable images (find_image_files) and its volumes (find_volumes),
// both sorted by name. Throws gan::InputError naming the folder when it is missing, not a folder,
// or holds neither.
struct FolderContents {
  std::vector<std::string> images;
  std::vector<VolumeSource> volumes;
};
FolderContents scan_folder(const std::string& dir);

// Where a volume's voxels are: dims and the voxel -> RAS affine (io::voxel_to_ras). Paired volumes
// must share it.
struct VoxelGrid {
  int nx = 0, ny = 0, nz = 0;
  io::Affine voxel_to_ras{};
};
VoxelGrid voxel_grid(const io::Volume& v);

class DomainData {
 public:
  // Scans `dir` and prepares (or reuses) the slice cache. Throws gan::InputError naming the folder
  // when it has no usable sample, or naming the file that can't be read.
  DomainData(const std::string& dir, const DomainOptions& options);
  // The same from a folder scanned already (scan_folder); contents lists its images and volumes
  // sorted by name, or (with options.partner) volumes in the partner's order.
  DomainData(const std::string& dir, FolderContents contents, const DomainOptions& options);
  ~DomainData();
  DomainData(const DomainData&) = delete;
  DomainData& operator=(const DomainData&) = delete;

  size_t size() const { return items_.size(); }
  // Sample i as a 1-channel (volumes) or the file's channels (images) image in [0, 1].
  io::Image load(size_t i) const;
  // "path/x.png" or "path/x.nii.gz axial slice 42": for logs and errors.
  std::string describe(size_t i) const;
  const std::string& dir() const { return dir_; }

  struct VolumeSummary {
    std::string name;
    int slices = 0, kept = 0;  // along the slice axis, and those with enough foreground
    VoxelGrid grid;
  };
  const std::vector<VolumeSummary>& volumes() const { return volumes_; }
  // Per volume, the indices (along the slice axis) of its slices among the samples, ascending.
  std::vector<std::vector<int>> kept_slices() const;
  // Paired data: leaves out the volume slices that `other` (same volumes, same order) does not
  // have, so both list the same slices in the same order.
  void keep_slices_of(const DomainData& other);
  size_t image_count() const { return image_count_; }
  bool cache_reused() const { return cache_reused_; }

 private:
  struct Item {
    int32_t volume = -1;  // index into volumes_, -1 for an image file
    std::string path;     // image file
    int32_t slice = 0, width = 0, height = 0;
    uint64_t offset = 0;  // byte offset of the slice in the cache file
  };
  // Both fill volumes_ and return the cached slices, in volume and slice order; reuse_cache
  // returns nothing when the cache is missing or stale.
  std::vector<Item> build_cache(const std::vector<VolumeSource>& sources, const std::string& key);
  std::optional<std::vector<Item>> reuse_cache(const std::vector<VolumeSource>& sources, const std::string& key);

  std::string dir_;
  DomainOptions options_;
  std::vector<Item> items_;
  std::vector<VolumeSummary> volumes_;
  size_t image_count_ = 0;
  bool cache_reused_ = false;
  std::string cache_file_;
  std::string cache_key_;  // what the cache was built from (a partner's cache includes this one's)
  int fd_ = -1;
};

}  // namespace gan::train
