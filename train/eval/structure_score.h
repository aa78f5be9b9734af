// The structure score between an input slice and its translation, `edge_corr`: the Pearson
// correlation of their Sobel gradient magnitudes over the input's foreground. 1 means every edge of
// the input has an edge of the same relative strength in the translation; it is unchanged by any
// affine intensity change of either image (inversion included: a T1 -> T2 translation swaps tissue
// brightness but keeps the boundaries), drops when edges are blurred, lost or invented, and is
// near 0 for unrelated images. docs/evaluation.md ("Structure score") states every convention.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace gan::train {

// Sobel gradient magnitude sqrt(gx^2 + gy^2) of a height x width image, with
//   gx = [I(y-1,x+1) + 2 I(y,x+1) + I(y+1,x+1) - I(y-1,x-1) - 2 I(y,x-1) - I(y+1,x-1)] / 8
// and gy the same with x and y swapped: the central difference (per pixel) smoothed across the
// gradient by (1 2 1) / 4, which keeps pixel noise from passing for structure. Only pixels whose
// 3x3 neighbourhood lies inside the image have a gradient; the 1-pixel border is 0.
std::vector<float> sobel_magnitude(const float* image, int height, int width);

// Sums behind a Pearson correlation, so that slices and volumes can be pooled exactly.
struct EdgeSums {
  double n = 0, x = 0, y = 0, xx = 0, yy = 0, xy = 0;
  EdgeSums& operator+=(const EdgeSums& o);
  // The correlation in [-1, 1]; NaN with fewer than 2 pixels or when either side is constant
  // (no edge at all: nothing to correlate).
  double correlation() const;
};

// The gradient magnitudes of input (x) and translation (y) at the interior pixels (1 pixel from the
// border) where mask != 0. The mask is height x width; null = every interior pixel.
EdgeSums edge_sums(const float* input, const float* translation, int height, int width,
                   const uint8_t* mask);

// edge_sums over foreground_mask(input) (metrics.h: > 0.05, dilated 2, holes filled), correlated:
// the score of one slice.
double edge_correlation(const float* input, const float* translation, int height, int width);

}  // namespace gan::train
