// Contrast of the MRI phantom: per-tissue relaxation parameters (BrainWeb, 1.5 T), the spin-echo
// signal equation, the T1- and T2-weighted protocols, and the rendering of tissue fractions into an
// image with an optional bias field and Rician noise. docs/phantom.md lists every value.
#pragma once
#include <array>
#include <cstdint>
#include <string>

#include "train/io/image_io.h"
#include "train/phantom/phantom_anatomy.h"

namespace gan::train {

struct TissueRelaxation {
  double t1_ms = 0, t2_ms = 0, pd = 0;  // pd relative to pure water (CSF = 1)
};
// Indexed by Tissue.
const std::array<TissueRelaxation, kTissueCount>& brainweb_relaxation();

struct MriProtocol {
  std::string name;
  double tr_ms = 0, te_ms = 0;
};
MriProtocol t1_weighted_protocol();  // TR 500 ms, TE 10 ms
MriProtocol t2_weighted_protocol();  // TR 4500 ms, TE 100 ms

// S = PD (1 - exp(-TR/T1)) exp(-TE/T2); 0 for a tissue with PD 0 (bone, background).
double spin_echo_signal(const TissueRelaxation& tissue, const MriProtocol& protocol);
// The fixed scale of a protocol: the brightest tissue maps to 0.85, leaving headroom for the
// bias field and noise. The same for every slice, so intensities are comparable across slices.
double protocol_scale(const MriProtocol& protocol);

struct Acquisition {
  double noise = 0;        // Rician noise sigma, as a fraction of the full scale 1
  double bias = 0;         // bias field amplitude: gain = exp(bias * smooth noise in [-1, 1])
  uint64_t noise_seed = 0;
  uint64_t bias_seed = 0;  // the bias field varies smoothly with the slice level for one seed
};

// One grey image, values in [0, 1]: sum over tissues of fraction * signal, times the texture and
// the bias field, times the protocol scale, with Rician noise |S + n1 + i n2| on top.
io::Image render_mri(const TissueMaps& maps, const MriProtocol& protocol, const Acquisition& acq);

}  // namespace gan::train
