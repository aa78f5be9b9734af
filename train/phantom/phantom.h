// The built-in MRI phantom data set: trainA/ (T1-weighted) and trainB/ (T2-weighted) from disjoint
// subjects (unpaired), or with `paired` from the same subjects and slices under the same file names
// (for pix2pix); testA/ and testB/ from the same test subjects and slices in both contrasts
// (paired, same file names). Every file is a deterministic function of (seed, subject, slice).
// Written as PNG slices (this file) or as one NIfTI volume per subject (phantom_volume.h).
// Anatomy: phantom_anatomy.h; contrast: phantom_mri.h; docs/phantom.md.
#pragma once
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "train/io/image_io.h"
#include "train/phantom/phantom_anatomy.h"

namespace gan::train {

// How the data set is stored. Adding a format is one enumerator, one name in
// parse_phantom_format and one branch in write_phantom_dataset.
enum class PhantomFormat {
  png,    // one 2-D PNG file per slice (the trainer's image folders)
  nifti,  // one 3-D NIfTI volume per subject and contrast (phantom_volume.h)
  dicom,  // one DICOM series (a folder of slice files) per subject and contrast
};
// "png", "nifti" or "dicom"; anything else throws gan::InputError naming --format.
PhantomFormat parse_phantom_format(const std::string& name);

struct PhantomOptions {
  std::string out;        // folder that receives trainA/ trainB/ testA/ testB/
  int subjects = 8;       // training subjects per domain
  int test_subjects = 2;  // paired test subjects
  int slices = 16;        // axial slices per subject
  int size = 256;         // pixels per side
  uint64_t seed = 1;
  double noise = 0.01;    // Rician noise sigma (fraction of full scale); 0 = none
  double bias = 0.1;      // bias field amplitude; 0 = none
  int bit_depth = 16;     // of the PNG files: 8 or 16
  int supersample = 4;    // partial-volume supersampling per pixel side
  PhantomFormat format = PhantomFormat::png;
  bool paired = false;    // trainB: the trainA subjects in T2w, same file names (else disjoint subjects)
};
// Throws gan::InputError naming the flag when an option is out of range.
void validate_phantom_options(const PhantomOptions& options);

// One file of the data set. Subjects are numbered globally: train A 0..S-1, train B S..2S-1,
// test 2S..2S+T-1, so the training domains never share a subject; with options.paired, train B
// is subjects 0..S-1 too (S..2S-1 are unused, so the test set stays that of the unpaired set).
struct PhantomSlice {
  std::string split;      // "trainA", "trainB", "testA", "testB"
  int subject = 0;
  int slice = 0;
  std::string file_name;  // "subj003_slice012.png"
  bool t2 = false;        // contrast: T2-weighted (else T1-weighted)
};
std::vector<PhantomSlice> plan_phantom_dataset(const PhantomOptions& options);

uint64_t phantom_subject_seed(uint64_t dataset_seed, int subject);
double phantom_slice_z(int slice, int slices);  // slice index -> z in (0, 1)
TissueMaps phantom_tissue_maps(const PhantomOptions& options, int subject, int slice);
// The image written for (subject, slice, contrast), before quantisation to the PNG bit depth.
io::Image render_phantom_slice(const PhantomOptions& options, const TissueMaps& maps, int subject, int slice, bool t2);

struct PhantomSummary {
  int files = 0;
  int stale_files = 0;  // image files already in the split folders that this plan did not write
  double seconds = 0;
};
// Creates the four folders under options.out and writes the data set in options.format: every
// planned slice (PNG) or volume (NIfTI), in parallel; the bytes do not depend on the thread count.
// Throws gan::InputError if a folder or file can't be written.
PhantomSummary write_phantom_dataset(const PhantomOptions& options);

// Shared by the writers of every format.
extern const char* const kPhantomSplits[4];  // "trainA", "trainB", "testA", "testB"
// Creates options.out/<split> for every split; gan::InputError naming --out if one can't be made.
void create_phantom_folders(const PhantomOptions& options);
// Files in the split folders for which is_data_file(name) holds but that are not in `planned`
// ("<split>/<file name>"): left over from an earlier run with other flags.
int count_stale_phantom_files(const PhantomOptions& options, const std::set<std::string>& planned,
                              bool (*is_data_file)(const std::string& name));

// A grid for looking at the phantom: the top row T1-weighted, the bottom row T2-weighted, `columns`
// paired test slices (from the test subjects, or train A subjects if there are none).
io::Image phantom_montage(const PhantomOptions& options, int columns);

}  // namespace gan::train
