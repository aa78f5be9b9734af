// Paired training data (pix2pix): two folders of co-registered scans, T1 in one and T2 in the
// other, matched by name. Images pair with the image of the same file name, which must have the
// same size; volumes (NIfTI files, DICOM series folders) pair with the volume of the same name,
// which must lie on the same voxel grid, and slice k of one pairs with slice k of the other. A
// slice pair is kept when both slices pass the foreground filter (--min-foreground), so the two
// domains list the same samples in the same order: sample i of A is the input of sample i of B.
// The slice caches are those of DomainData (tags "A" and "B").
#pragma once
#include <memory>
#include <string>

#include "train/data/domain_data.h"

namespace gan::train {

struct PairedDomains {
  std::shared_ptr<DomainData> a, b;  // same size; sample i of a pairs with sample i of b
};

// options: as for DomainData (its tag and partner are set here). Throws gan::InputError with one
// line naming the file for a name without a pair, images of different sizes or volumes on
// different grids.
PairedDomains load_paired_domains(const std::string& dir_a, const std::string& dir_b,
                                  const DomainOptions& options);

}  // namespace gan::train
