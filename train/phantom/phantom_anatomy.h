// Anatomy of the built-in MRI head phantom: a subject (every random choice drawn from one seed)
// and the tissue fractions of one axial slice of its head, with partial-volume mixing at every
// boundary. Contrast (how tissues look in T1w/T2w) lives in phantom_mri.h; the folders of PNG files
// in phantom.h. docs/phantom.md describes the model.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace gan::train {

enum Tissue : int {
  kBackground = 0,
  kSkin,         // scalp skin and muscle
  kFat,          // subcutaneous fat and the marrow (diploe) inside the skull
  kSkull,        // cortical bone
  kCsf,          // outer CSF, sulci, interhemispheric fissure, ventricles
  kGrayMatter,   // cortex and deep gray nuclei
  kWhiteMatter,
  kTissueCount
};
const char* tissue_name(int tissue);

// One sulcus: a curved line from the brain surface inwards, at an angle around the head centre.
struct Sulcus {
  double angle = 0;  // radians, 0 = subject's left-right axis
  double depth = 0;  // in image half-widths
  double bend = 0;   // radians the sulcus turns over its depth
  double branch = 0; // 0: none; else the angle of a side branch leaving it half-way down
};

// Lengths are in image half-widths (the image spans [-1, 1]); y grows towards the back of the head.
struct PhantomSubject {
  uint64_t seed = 0;
  double head_scale = 1, head_aspect = 1.25;  // size; front-back over left-right axis
  double rotation = 0, center_x = 0, center_y = 0;
  double egg = 0.04;                          // back of the head wider than the front
  double skin = 0.017, fat = 0.02, skull = 0.042, csf = 0.012, cortex = 0.023;
  double sulcus_width = 0.009;                // CSF width of a sulcus at the surface
  double fissure_x = 0, fissure_curve = 0;    // interhemispheric fissure: x = x0 + curve * y^2
  double ventricle_scale = 1;                 // 1 = young adult; larger = atrophy
  double ventricle_asymmetry = 0;             // relative left/right size difference
  double level_offset = 0;                    // shifts the slab along z
  std::array<double, 3> noise_offset{};       // where this subject samples the Perlin noise
  std::vector<Sulcus> sulci;
};

PhantomSubject make_phantom_subject(uint64_t seed);

// Tissue fractions of one slice, size x size pixels, row-major. For each pixel the fractions of
// all tissues sum to 1. texture: a mild multiplicative proton-density texture (about 1 +- 0.04).
struct TissueMaps {
  int size = 0;
  double level = 0;  // anatomical height of the slice, 0 = skull base, 1 = vertex
  std::array<std::vector<float>, kTissueCount> fraction;
  std::vector<float> texture;
  float at(int tissue, int y, int x) const {
    return fraction[tissue][static_cast<size_t>(y) * size + x];
  }
};

// The slab the slices cover, in anatomical heights (0 = skull base, 1 = vertex): slice position
// z in [0, 1] is at height kSlabBottomLevel + kSlabLevels * z (plus the subject's level_offset).
constexpr double kSlabBottomLevel = 0.30, kSlabLevels = 0.45;

// z in [0, 1]: position of the slice in the slab, from the level of the lateral ventricles (0) to
// the upper convexity (1); the anatomy changes smoothly with z. Each pixel is supersampled on a
// supersample x supersample grid; the fractions are the shares of the samples per tissue.
TissueMaps make_phantom_slice(const PhantomSubject& subject, double z, int size, int supersample = 4);

}  // namespace gan::train
