#include "train/phantom/phantom_anatomy.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "train/phantom/phantom_random.h"

#define STB_PERLIN_IMPLEMENTATION
#include <stb_perlin.h>

namespace gan::train {

const char* tissue_name(int tissue) {
  static const char* names[kTissueCount] = {"background", "skin", "fat", "skull", "csf", "gray_matter", "white_matter"};
  return tissue >= 0 && tissue < kTissueCount ? names[tissue] : "unknown";
}

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kTwoPi = 2 * kPi;
constexpr int kAngles = 1024;  // resolution of the per-angle boundary tables
constexpr int kBins = 256;     // angular bins listing the sulci that can reach a sample

double perlin(double x, double y, double z) {
  return stb_perlin_noise3(static_cast<float>(x), static_cast<float>(y), static_cast<float>(z), 0, 0, 0);
}
double sq(double v) { return v * v; }
double bump(double h, double center, double half_width) { return std::max(0.0, 1 - sq((h - center) / half_width)); }
double wrap_angle(double a) {  // to [-pi, pi)
  a = std::fmod(a + kPi, kTwoPi);
  return (a < 0 ? a + kTwoPi : a) - kPi;
}

// A line of CSF (sulcus or fissure): two segments, CSF half-width tapering from top to bottom.
constexpr int kPathPoints = 5;
struct CsfPath {
  double px[kPathPoints], py[kPathPoints];
  double half_width_top, half_width_bottom;
  // Distance from (x, y) to the path minus the local half-width: < 0 inside the CSF.
  double excess(double x, double y) const {
    double best = std::numeric_limits<double>::infinity();
    for (int j = 0; j + 1 < kPathPoints; ++j) {
      double dx = px[j + 1] - px[j], dy = py[j + 1] - py[j];
      double len2 = dx * dx + dy * dy;
      double t = len2 > 0 ? std::clamp(((x - px[j]) * dx + (y - py[j]) * dy) / len2, 0.0, 1.0) : 0.0;
      double d = std::hypot(x - px[j] - t * dx, y - py[j] - t * dy);
      double u = (j + t) / (kPathPoints - 1);
      best = std::min(best, d - (half_width_top + u * (half_width_bottom - half_width_top)));
    }
    return best;
  }
};

struct Ellipse {
  double cx, cy, a, b, c, s;  // centre, semi-axes, cos/sin of the rotation
  double inside(double x, double y) const {  // < 1 inside
    double dx = x - cx, dy = y - cy;
    return sq((c * dx + s * dy) / a) + sq((-s * dx + c * dy) / b);
  }
};
Ellipse make_ellipse(double cx, double cy, double a, double b, double rot) {
  return {cx, cy, std::max(a, 1e-4), std::max(b, 1e-4), std::cos(rot), std::sin(rot)};
}

// Everything about one slice that does not depend on the sample position.
struct SliceGeometry {
  double level = 0, obliquity = 1;
  std::vector<double> r_head, skin, r_skull_out, r_skull_in, r_brain, cortex;  // per angle
  double r_head_max = 0, r_sulcus_min = 0;
  std::vector<CsfPath> sulci;
  std::vector<std::vector<int>> bins;  // sulci that can reach each angular bin
  std::vector<CsfPath> fissure;
  std::vector<Ellipse> ventricles;
  struct DeepGray { Ellipse shape; double gray; };
  std::vector<DeepGray> deep_gray;
  double ventricle_bound = 0;  // radius outside which no ventricle reaches
  std::array<double, 3> o{};
};

SliceGeometry build_geometry(const PhantomSubject& s, double z) {
  SliceGeometry g;
  const double h = kSlabBottomLevel + kSlabLevels * z + s.level_offset;
  g.level = h;
  g.o = s.noise_offset;
  const double profile = std::sqrt(std::max(0.04, 1 - sq((h - 0.3) / 0.72)));
  g.obliquity = std::min(1.8, 1 / std::pow(profile, 0.8));  // layers cut obliquely look thicker
  const double ax = 0.68 * s.head_scale * profile, ay = ax * s.head_aspect;

  for (auto* t : {&g.r_head, &g.skin, &g.r_skull_out, &g.r_skull_in, &g.r_brain, &g.cortex}) t->resize(kAngles + 1);
  for (int i = 0; i <= kAngles; ++i) {
    double th = i * kTwoPi / kAngles - kPi, c = std::cos(th), sn = std::sin(th);
    double ellipse = 1 / std::sqrt(sq(c / ax) + sq(sn / ay));
    double rh = ellipse * (1 + s.egg * sn) * (1 + 0.018 * perlin(1.5 * c + g.o[0], 1.5 * sn + g.o[1], 2 * h + g.o[2]));
    double skin = s.skin * g.obliquity * (1 + 0.2 * perlin(3 * c + g.o[1], 3 * sn + g.o[2], 2 * h + g.o[0]));
    double fat = s.fat * g.obliquity * (1 + 0.35 * perlin(2.5 * c + g.o[2], 2.5 * sn + g.o[0], 2 * h + g.o[1] + 7));
    double skull = s.skull * g.obliquity * (1 + 0.2 * perlin(2 * c + g.o[0] + 11, 2 * sn + g.o[1], 2 * h + g.o[2]));
    double csf = s.csf * (1 + 0.6 * perlin(3 * c + g.o[1] + 5, 3 * sn + g.o[2], 3 * h + g.o[0]));
    g.r_head[i] = rh;
    g.skin[i] = skin;
    g.r_skull_out[i] = rh - skin - fat;
    g.r_skull_in[i] = g.r_skull_out[i] - skull;
    g.r_brain[i] = g.r_skull_in[i] - std::max(0.003, csf);
    g.cortex[i] = s.cortex * g.obliquity * (1 + 0.25 * perlin(4 * c + g.o[2] + 3, 4 * sn + g.o[0], 3 * h + g.o[1]));
    g.r_head_max = std::max(g.r_head_max, rh);
  }
  auto table_at = [](const std::vector<double>& t, double th) {
    double fi = (th + kPi) * (kAngles / kTwoPi);
    int i = std::clamp(static_cast<int>(fi), 0, kAngles - 1);
    double f = fi - i;
    return t[i] * (1 - f) + t[i + 1] * f;
  };

  // Sulci: their angle and depth drift smoothly with the level.
  const double depth_scale = std::sqrt(profile);
  g.bins.assign(kBins, {});
  g.r_sulcus_min = g.r_head_max;
  for (size_t k = 0; k < s.sulci.size(); ++k) {
    const Sulcus& su = s.sulci[k];
    double th = su.angle + 0.07 * perlin(1.7 * k + g.o[0], 3 * h + g.o[1], g.o[2]);
    double depth = su.depth * depth_scale * (0.8 + 0.5 * perlin(2.3 * k + g.o[1], 2.5 * h + g.o[2], g.o[0] + 3));
    if (depth < 0.015) continue;
    // A wiggly line inwards: each step turns by the sulcus bend plus smooth noise.
    auto trace = [&](double x0, double y0, double dir, double length, double bend, double hw_top, double hw_bottom,
                     double wiggle_key) {
      CsfPath p;
      p.px[0] = x0, p.py[0] = y0;
      double step = length / (kPathPoints - 1);
      for (int j = 1; j < kPathPoints; ++j) {
        dir += bend / (kPathPoints - 1) + 0.45 * perlin(wiggle_key + 0.61 * j, 3 * h + g.o[1], g.o[2] + 1.3 * j);
        p.px[j] = p.px[j - 1] - step * std::cos(dir);
        p.py[j] = p.py[j - 1] - step * std::sin(dir);
      }
      p.half_width_top = hw_top, p.half_width_bottom = hw_bottom;
      return p;
    };
    auto add_path = [&](const CsfPath& p, double th_ref) {
      // Angular extent, with room for the gray matter lining it.
      double lo = 1e9, hi = -1e9, margin_len = p.half_width_top + s.cortex * g.obliquity * 1.3 + 0.01;
      for (int j = 0; j < kPathPoints; ++j) {
        double r = std::hypot(p.px[j], p.py[j]);
        double a = th_ref + wrap_angle(std::atan2(p.py[j], p.px[j]) - th_ref);
        double m = margin_len / std::max(r, 0.05);
        lo = std::min(lo, a - m), hi = std::max(hi, a + m);
        g.r_sulcus_min = std::min(g.r_sulcus_min, r - margin_len);
      }
      int b0 = static_cast<int>(std::floor((lo + kPi) * kBins / kTwoPi));
      int b1 = static_cast<int>(std::floor((hi + kPi) * kBins / kTwoPi));
      for (int b = b0; b <= b1; ++b) g.bins[((b % kBins) + kBins) % kBins].push_back(static_cast<int>(g.sulci.size()));
      g.sulci.push_back(p);
    };
    double rs = table_at(g.r_brain, wrap_angle(th)) + 0.01;
    double hw = s.sulcus_width / 2;
    CsfPath main_path = trace(rs * std::cos(th), rs * std::sin(th), th, depth + 0.01, su.bend, hw, 0.35 * hw, 2.9 * k + g.o[0]);
    add_path(main_path, th);
    if (su.branch != 0) {
      int j = 2;
      double dir = std::atan2(main_path.py[j] - main_path.py[j + 1], main_path.px[j] - main_path.px[j + 1]) + su.branch;
      add_path(trace(main_path.px[j], main_path.py[j], dir, 0.45 * depth, 0, 0.6 * hw, 0.3 * hw, 5.3 * k + g.o[2]), th);
    }
  }

  // Interhemispheric fissure: from the front and the back towards the corpus callosum; above the
  // callosum it separates the hemispheres completely.
  const double open = std::clamp((0.64 - h) / 0.06, 0.0, 1.0);
  const double y_front = -0.26 * open * s.head_scale, y_back = 0.30 * open * s.head_scale;
  auto fissure_x = [&](double y) { return s.fissure_x + s.fissure_curve * y * y; };
  const double fissure_half = s.sulcus_width / 2 + 0.002;
  for (int side = 0; side < 2; ++side) {
    double y_top = side == 0 ? -1.2 : 1.2, y_end = side == 0 ? y_front : y_back;
    CsfPath p;
    for (int j = 0; j < kPathPoints; ++j) {
      double y = y_top + (y_end - y_top) * j / (kPathPoints - 1);
      p.px[j] = fissure_x(y), p.py[j] = y;
    }
    p.half_width_top = fissure_half;
    p.half_width_bottom = fissure_half * 0.6;
    g.fissure.push_back(p);
  }

  // Lateral ventricles (frontal horn, body, atrium per side) and deep gray nuclei.
  const double v = bump(h, 0.40, 0.20), gs = s.head_scale;
  for (int side = -1; side <= 1; side += 2) {
    double w = s.ventricle_scale * v * (1 + side * s.ventricle_asymmetry), len = std::sqrt(v);
    if (w > 0.02) {
      double fa = 0.030 * w * gs, fb = 0.095 * len * gs;
      g.ventricles.push_back(make_ellipse(side * (0.022 + fa + 0.02 * len), -0.13 * gs, fa, fb, side * 0.4));
      double ba = 0.020 * w * gs, bb = 0.12 * len * gs;
      g.ventricles.push_back(make_ellipse(side * (0.03 + ba), 0.02 * gs, ba, bb, -side * 0.1));
      double aa = 0.032 * w * gs, ab = 0.08 * len * gs;
      g.ventricles.push_back(make_ellipse(side * (0.07 + 0.02 * len) * gs, 0.15 * gs, aa, ab, -side * 0.45));
    }
    double caudate = bump(h, 0.40, 0.14);
    if (caudate > 0.05) {
      double k = std::sqrt(caudate);
      double x = 0.016 + 0.08 * std::max(w, 0.4) * gs + 0.022 * k * gs;
      g.deep_gray.push_back({make_ellipse(side * x, -0.11 * gs, 0.026 * k * gs, 0.055 * k * gs, -side * 0.3), 0.75});
    }
    double thalamus = bump(h, 0.30, 0.10);
    if (thalamus > 0.05) {
      double k = std::sqrt(thalamus);
      g.deep_gray.push_back({make_ellipse(side * 0.065 * gs, 0.06 * gs, 0.045 * k * gs, 0.07 * k * gs, side * 0.15), 0.6});
    }
    double putamen = bump(h, 0.31, 0.11);
    if (putamen > 0.05) {
      double k = std::sqrt(putamen);
      g.deep_gray.push_back({make_ellipse(side * 0.19 * gs, -0.01 * gs, 0.03 * k * gs, 0.085 * k * gs, side * 0.25), 0.75});
    }
  }
  for (const auto& e : g.ventricles) g.ventricle_bound = std::max(g.ventricle_bound, std::hypot(e.cx, e.cy) + std::max(e.a, e.b) * 1.3);
  return g;
}

// Adds `w` to the fractions of the tissues at local position (x, y).
void classify(const SliceGeometry& g, double x, double y, float w, float* acc) {
  double r = std::hypot(x, y);
  if (r >= g.r_head_max) { acc[kBackground] += w; return; }
  double th = std::atan2(y, x);
  double fi = (th + kPi) * (kAngles / kTwoPi);
  int i = std::clamp(static_cast<int>(fi), 0, kAngles - 1);
  double f = fi - i;
  auto at = [&](const std::vector<double>& t) { return t[i] * (1 - f) + t[i + 1] * f; };
  double rh = at(g.r_head);
  if (r >= rh) { acc[kBackground] += w; return; }
  if (r >= rh - at(g.skin)) { acc[kSkin] += w; return; }
  double rso = at(g.r_skull_out);
  if (r >= rso) { acc[kFat] += w; return; }
  double rsi = at(g.r_skull_in);
  if (r >= rsi) {
    double u = (r - rsi) / (rso - rsi);
    if (u > 0.3 && u < 0.7) {  // marrow between the inner and outer tables
      acc[kFat] += 0.6f * w, acc[kSkull] += 0.4f * w;
    } else {
      acc[kSkull] += w;
    }
    return;
  }
  double rb = at(g.r_brain);
  if (r >= rb) { acc[kCsf] += w; return; }

  double excess = std::numeric_limits<double>::infinity();
  if (r > g.r_sulcus_min) {
    int b = std::clamp(static_cast<int>((th + kPi) * (kBins / kTwoPi)), 0, kBins - 1);
    for (int k : g.bins[b]) excess = std::min(excess, g.sulci[k].excess(x, y));
  }
  for (const auto& p : g.fissure) excess = std::min(excess, p.excess(x, y));
  if (excess < 0) { acc[kCsf] += w; return; }
  if (r < g.ventricle_bound && !g.ventricles.empty()) {
    double q = std::numeric_limits<double>::infinity();
    for (const auto& e : g.ventricles) q = std::min(q, e.inside(x, y));
    if (q < 1.6) {
      q *= 1 + 0.15 * perlin(9 * x + g.o[0], 9 * y + g.o[1], 3 * g.level + g.o[2]);
      if (q < 1) { acc[kCsf] += w; return; }
    }
  }
  double ct = at(g.cortex);
  bool white = r < rb - ct && excess > ct;
  if (white) {
    for (const auto& d : g.deep_gray) {
      if (d.shape.inside(x, y) < 1) {
        acc[kGrayMatter] += static_cast<float>(d.gray) * w;
        acc[kWhiteMatter] += static_cast<float>(1 - d.gray) * w;
        return;
      }
    }
  }
  acc[white ? kWhiteMatter : kGrayMatter] += w;
}

}  // namespace

PhantomSubject make_phantom_subject(uint64_t seed) {
  SplitMix64 rng(derive_seed(seed, 0x5B7EC7));
  PhantomSubject s;
  s.seed = seed;
  s.head_scale = rng.uniform(0.93, 1.06);
  s.head_aspect = rng.uniform(1.12, 1.22);
  s.rotation = rng.uniform(-0.07, 0.07);
  s.center_x = rng.uniform(-0.02, 0.02);
  s.center_y = rng.uniform(-0.02, 0.02);
  s.egg = rng.uniform(0.02, 0.06);
  s.skin = rng.uniform(0.014, 0.020);
  s.fat = rng.uniform(0.014, 0.026);
  s.skull = rng.uniform(0.035, 0.050);
  s.csf = rng.uniform(0.008, 0.016);
  s.cortex = rng.uniform(0.020, 0.026);
  s.sulcus_width = rng.uniform(0.006, 0.012);
  s.fissure_x = rng.uniform(-0.01, 0.01);
  s.fissure_curve = rng.uniform(-0.03, 0.03);
  s.ventricle_scale = rng.uniform(0.6, 1.3);
  s.ventricle_asymmetry = rng.uniform(-0.1, 0.1);
  s.level_offset = rng.uniform(-0.03, 0.03);
  for (double& o : s.noise_offset) o = rng.uniform(0, 200);
  int n = rng.uniform_int(40, 54);
  for (int k = 0; k < n; ++k) {
    Sulcus su;
    su.angle = wrap_angle(kTwoPi * (k + rng.uniform(-0.3, 0.3)) / n);
    su.depth = rng.uniform(0.08, 0.20);
    su.bend = rng.uniform(-1.0, 1.0);
    su.branch = rng.uniform() < 0.45 ? (rng.uniform() < 0.5 ? -1 : 1) * rng.uniform(0.5, 1.0) : 0.0;
    // The interhemispheric fissure takes the place of sulci at the front and back midline.
    if (std::abs(std::abs(su.angle) - kPi / 2) < 0.12) continue;
    s.sulci.push_back(su);
  }
  return s;
}

TissueMaps make_phantom_slice(const PhantomSubject& subject, double z, int size, int supersample) {
  if (size < 8 || size > 8192) throw InputError("phantom: slice size " + std::to_string(size) + " out of range [8, 8192]");
  if (supersample < 1 || supersample > 16) throw InputError("phantom: supersample must be in [1, 16]");
  const SliceGeometry g = build_geometry(subject, z);
  TissueMaps maps;
  maps.size = size;
  maps.level = g.level;
  const size_t n = static_cast<size_t>(size) * size;
  for (auto& f : maps.fraction) f.assign(n, 0.0f);
  maps.texture.assign(n, 1.0f);
  const double c = std::cos(subject.rotation), s = std::sin(subject.rotation);
  const float w = 1.0f / static_cast<float>(supersample * supersample);
  const double px = 2.0 / size;  // pixel size in image half-widths
  for (int yi = 0; yi < size; ++yi) {
    for (int xi = 0; xi < size; ++xi) {
      float acc[kTissueCount] = {};
      for (int sy = 0; sy < supersample; ++sy) {
        for (int sx = 0; sx < supersample; ++sx) {
          double u = -1 + (xi + (sx + 0.5) / supersample) * px - subject.center_x;
          double v = -1 + (yi + (sy + 0.5) / supersample) * px - subject.center_y;
          classify(g, c * u + s * v, -s * u + c * v, w, acc);
        }
      }
      size_t idx = static_cast<size_t>(yi) * size + xi;
      for (int t = 0; t < kTissueCount; ++t) maps.fraction[t][idx] = acc[t];
      if (acc[kBackground] < 1.0f) {
        double u = -1 + (xi + 0.5) * px - subject.center_x, v = -1 + (yi + 0.5) * px - subject.center_y;
        double lx = c * u + s * v, ly = -s * u + c * v;
        double t = perlin(14 * lx + g.o[2], 14 * ly + g.o[0], 4 * g.level + g.o[1]) +
                   0.5 * perlin(30 * lx + g.o[1], 30 * ly + g.o[2], 6 * g.level + g.o[0]);
        maps.texture[idx] = static_cast<float>(1 + 0.03 * t);
      }
    }
  }
  return maps;
}

}  // namespace gan::train
