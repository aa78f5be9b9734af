#include "train/phantom/phantom_mri.h"

#include <algorithm>
#include <cmath>

#include <stb_perlin.h>  // implementation compiled in phantom_anatomy.cpp

#include "train/phantom/phantom_random.h"

namespace gan::train {

const std::array<TissueRelaxation, kTissueCount>& brainweb_relaxation() {
  // BrainWeb 1.5 T tissue parameters (Collins et al. 1998; Kwan et al. 1999; Aubert-Broche et al. 2006).
  static const std::array<TissueRelaxation, kTissueCount> table = [] {
    std::array<TissueRelaxation, kTissueCount> t{};
    t[kBackground] = {0, 0, 0};
    t[kSkin] = {900, 47, 1.0};   // BrainWeb "muscle/skin"
    t[kFat] = {350, 70, 1.0};
    t[kSkull] = {0, 0, 0};       // BrainWeb: no signal from bone
    t[kCsf] = {2569, 329, 1.0};
    t[kGrayMatter] = {833, 83, 0.86};
    t[kWhiteMatter] = {500, 70, 0.77};
    return t;
  }();
  return table;
}

MriProtocol t1_weighted_protocol() { return {"T1w", 500, 10}; }
MriProtocol t2_weighted_protocol() { return {"T2w", 4500, 100}; }

double spin_echo_signal(const TissueRelaxation& tissue, const MriProtocol& protocol) {
  if (tissue.pd <= 0 || tissue.t1_ms <= 0 || tissue.t2_ms <= 0) return 0;
  return tissue.pd * (1 - std::exp(-protocol.tr_ms / tissue.t1_ms)) * std::exp(-protocol.te_ms / tissue.t2_ms);
}

double protocol_scale(const MriProtocol& protocol) {
  double top = 0;
  for (const auto& t : brainweb_relaxation()) top = std::max(top, spin_echo_signal(t, protocol));
  return top > 0 ? 0.85 / top : 1.0;
}

io::Image render_mri(const TissueMaps& maps, const MriProtocol& protocol, const Acquisition& acq) {
  const int n = maps.size;
  const size_t count = static_cast<size_t>(n) * n;
  std::array<double, kTissueCount> signal{};
  const double scale = protocol_scale(protocol);
  for (int t = 0; t < kTissueCount; ++t) signal[t] = scale * spin_echo_signal(brainweb_relaxation()[t], protocol);

  SplitMix64 bias_rng(acq.bias_seed);
  const double bx = bias_rng.uniform(0, 200), by = bias_rng.uniform(0, 200), bz = bias_rng.uniform(0, 200);
  const double tilt_x = bias_rng.uniform(-0.5, 0.5), tilt_y = bias_rng.uniform(-0.5, 0.5);
  SplitMix64 noise_rng(acq.noise_seed);

  io::Image img;
  img.width = img.height = n;
  img.channels = 1;
  img.bit_depth = 16;
  img.pixels.resize(count);
  for (int y = 0; y < n; ++y) {
    for (int x = 0; x < n; ++x) {
      size_t i = static_cast<size_t>(y) * n + x;
      double s = 0;
      for (int t = 0; t < kTissueCount; ++t) s += maps.fraction[t][i] * signal[t];
      s *= maps.texture[i];
      if (acq.bias != 0 && s > 0) {
        // Coil sensitivity: a smooth field over the image, low spatial frequency plus a gradient.
        double u = (x + 0.5) / n * 2 - 1, v = (y + 0.5) / n * 2 - 1;
        double field = 0.7 * stb_perlin_noise3(static_cast<float>(0.9 * u + bx), static_cast<float>(0.9 * v + by),
                                               static_cast<float>(1.5 * maps.level + bz), 0, 0, 0) +
                       0.3 * (tilt_x * u + tilt_y * v);
        s *= std::exp(acq.bias * field);
      }
      if (acq.noise > 0) {
        double re = s + acq.noise * noise_rng.normal(), im = acq.noise * noise_rng.normal();
        s = std::sqrt(re * re + im * im);
      }
      img.pixels[i] = static_cast<float>(std::clamp(s, 0.0, 1.0));
    }
  }
  return img;
}

}  // namespace gan::train
