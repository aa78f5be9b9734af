// The MRI phantom: determinism, pairing of the test set, disjoint training subjects, tissue
// fractions, the spin-echo signal equation and the T1w/T2w contrast order.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/error.h"
#include "tests/train/temp_dir.h"
#include "train/io/image_io.h"
#include "train/eval/metrics.h"
#include "train/phantom/phantom.h"
#include "train/phantom/phantom_mri.h"

namespace fs = std::filesystem;
using namespace gan::train;

namespace {

PhantomOptions small_options(const fs::path& out) {
  PhantomOptions o;
  o.out = out.string();
  o.subjects = 2, o.test_subjects = 1, o.slices = 2, o.size = 64, o.supersample = 2;
  return o;
}

std::string read_bytes(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Mean intensity over the pixels that are (almost) pure `tissue`.
double tissue_mean(const TissueMaps& maps, const gan::io::Image& img, int tissue) {
  double sum = 0;
  int count = 0;
  for (size_t i = 0; i < img.pixels.size(); ++i)
    if (maps.fraction[tissue][i] > 0.99f) sum += img.pixels[i], ++count;
  REQUIRE(count > 10);
  return sum / count;
}

}  // namespace

TEST_CASE("phantom: same seed gives the same bytes, another seed differs", "[phantom]") {
  gan::testing::TempDir dir;
  PhantomOptions a = small_options(dir.path / "a"), b = small_options(dir.path / "b"), c = small_options(dir.path / "c");
  c.seed = 2;
  write_phantom_dataset(a), write_phantom_dataset(b), write_phantom_dataset(c);
  int files = 0, differing = 0;
  for (const auto& p : plan_phantom_dataset(a)) {
    fs::path rel = fs::path(p.split) / p.file_name;
    std::string bytes = read_bytes(dir.path / "a" / rel);
    REQUIRE(!bytes.empty());
    CHECK(bytes == read_bytes(dir.path / "b" / rel));
    differing += bytes != read_bytes(dir.path / "c" / rel);
    ++files;
  }
  CHECK(files == 2 * 2 * 2 + 2 * 1 * 2);
  CHECK(differing == files);
}

TEST_CASE("phantom: train A and train B subjects are disjoint, the test set is paired", "[phantom]") {
  PhantomOptions o = small_options("unused");
  o.subjects = 3;
  std::set<int> a, b, test_a, test_b;
  std::set<std::string> names_a, names_b;
  for (const auto& p : plan_phantom_dataset(o)) {
    if (p.split == "trainA") {
      a.insert(p.subject);
      CHECK(!p.t2);
    }
    if (p.split == "trainB") {
      b.insert(p.subject);
      CHECK(p.t2);
    }
    if (p.split == "testA") test_a.insert(p.subject), names_a.insert(p.file_name);
    if (p.split == "testB") test_b.insert(p.subject), names_b.insert(p.file_name);
  }
  CHECK(a.size() == 3);
  CHECK(b.size() == 3);
  for (int s : a) CHECK(b.count(s) == 0);
  for (int s : test_a) CHECK((a.count(s) == 0 && b.count(s) == 0));
  CHECK(test_a == test_b);
  CHECK(names_a == names_b);
  // Different subjects have different anatomy.
  TissueMaps ma = phantom_tissue_maps(o, *a.begin(), 0), mb = phantom_tissue_maps(o, *b.begin(), 0);
  CHECK(ma.fraction[kWhiteMatter] != mb.fraction[kWhiteMatter]);
}

TEST_CASE("phantom: the T2 test file is the T2 rendering of the T1 test file's anatomy", "[phantom]") {
  gan::testing::TempDir dir;
  PhantomOptions o = small_options(dir.path);
  o.noise = 0, o.bias = 0;
  write_phantom_dataset(o);
  int checked = 0;
  for (const auto& p : plan_phantom_dataset(o)) {
    if (p.split != "testA") continue;
    gan::io::Image t1 = gan::io::load_image((dir.path / "testA" / p.file_name).string());
    gan::io::Image t2 = gan::io::load_image((dir.path / "testB" / p.file_name).string());
    TissueMaps maps = phantom_tissue_maps(o, p.subject, p.slice);
    gan::io::Image expected = render_phantom_slice(o, maps, p.subject, p.slice, true);
    REQUIRE(t2.pixels.size() == expected.pixels.size());
    double worst = 0;
    for (size_t i = 0; i < t2.pixels.size(); ++i) worst = std::max(worst, std::abs(double(t2.pixels[i]) - expected.pixels[i]));
    CHECK(worst <= 0.5 / 65535 + 1e-6);  // 16-bit quantisation only
    // Same head: the foreground masks of the two contrasts agree.
    auto m1 = foreground_mask(t1.pixels.data(), 64, 64), m2 = foreground_mask(t2.pixels.data(), 64, 64);
    int both = 0, either = 0;
    for (size_t i = 0; i < m1.size(); ++i) both += m1[i] && m2[i], either += m1[i] || m2[i];
    CHECK(both > 0.97 * either);
    ++checked;
  }
  CHECK(checked == 2);
}

TEST_CASE("phantom --paired: trainB is the T2 rendering of trainA's subjects under the same names, the test set unchanged",
          "[phantom]") {
  gan::testing::TempDir dir;
  PhantomOptions o = small_options(dir.path);
  o.noise = 0, o.bias = 0;
  o.paired = true;
  std::set<std::pair<int, std::string>> a, b;
  for (const auto& p : plan_phantom_dataset(o)) {
    if (p.split == "trainA") a.insert({p.subject, p.file_name});
    if (p.split == "trainB") b.insert({p.subject, p.file_name});
  }
  CHECK(a.size() == 4);
  CHECK(a == b);
  PhantomOptions u = o;
  u.paired = false;
  auto tests_of = [](const PhantomOptions& options) {
    std::set<std::pair<int, std::string>> t;
    for (const auto& p : plan_phantom_dataset(options))
      if (p.split == "testA" || p.split == "testB") t.insert({p.subject, p.split + "/" + p.file_name});
    return t;
  };
  CHECK(tests_of(o) == tests_of(u));

  write_phantom_dataset(o);
  for (const auto& p : plan_phantom_dataset(o)) {
    if (p.split != "trainB") continue;
    gan::io::Image t2 = gan::io::load_image((dir.path / "trainB" / p.file_name).string());
    TissueMaps maps = phantom_tissue_maps(o, p.subject, p.slice);
    gan::io::Image expected = render_phantom_slice(o, maps, p.subject, p.slice, true);
    REQUIRE(t2.pixels.size() == expected.pixels.size());
    double worst = 0;
    for (size_t i = 0; i < t2.pixels.size(); ++i) worst = std::max(worst, std::abs(double(t2.pixels[i]) - expected.pixels[i]));
    CHECK(worst <= 0.5 / 65535 + 1e-6);  // 16-bit quantisation only
    CHECK(fs::exists(dir.path / "trainA" / p.file_name));
  }
}

TEST_CASE("phantom: fractions sum to 1, partial volume at boundaries, anatomy smooth in z", "[phantom]") {
  PhantomSubject s = make_phantom_subject(42);
  TissueMaps m = make_phantom_slice(s, 0.3, 96, 3);
  int mixed = 0;
  for (size_t i = 0; i < m.texture.size(); ++i) {
    double sum = 0, top = 0;
    for (int t = 0; t < kTissueCount; ++t) sum += m.fraction[t][i], top = std::max<double>(top, m.fraction[t][i]);
    REQUIRE(sum == Approx(1.0).margin(1e-5));
    mixed += top < 0.99;
  }
  CHECK(mixed > 100);
  for (int t = 1; t < kTissueCount; ++t) {
    double area = 0;
    for (float f : m.fraction[t]) area += f;
    CHECK(area > 5);  // every tissue is present in a mid-level slice
  }
  auto differ = [&](double z) {
    TissueMaps o = make_phantom_slice(s, z, 96, 3);
    double d = 0;
    for (size_t i = 0; i < o.texture.size(); ++i) d += std::abs(o.fraction[kCsf][i] - m.fraction[kCsf][i]);
    return d;
  };
  CHECK(differ(0.31) < 0.25 * differ(0.8));
}

TEST_CASE("phantom: spin-echo signal by hand and tissue contrast order", "[phantom]") {
  MriProtocol t1 = t1_weighted_protocol(), t2 = t2_weighted_protocol();
  const auto& wm = brainweb_relaxation()[kWhiteMatter];
  CHECK(spin_echo_signal(wm, t1) == Approx(0.77 * (1 - std::exp(-500.0 / 500)) * std::exp(-10.0 / 70)));
  CHECK(spin_echo_signal(brainweb_relaxation()[kSkull], t1) == 0.0);

  PhantomOptions o = small_options("unused");
  o.size = 128, o.noise = 0.01, o.bias = 0.1;
  TissueMaps maps = phantom_tissue_maps(o, 0, 0);
  gan::io::Image a = render_phantom_slice(o, maps, 0, 0, false), b = render_phantom_slice(o, maps, 0, 0, true);
  double a_wm = tissue_mean(maps, a, kWhiteMatter), a_gm = tissue_mean(maps, a, kGrayMatter), a_csf = tissue_mean(maps, a, kCsf);
  double b_wm = tissue_mean(maps, b, kWhiteMatter), b_gm = tissue_mean(maps, b, kGrayMatter), b_csf = tissue_mean(maps, b, kCsf);
  CHECK(a_wm > a_gm);
  CHECK(a_gm > a_csf);
  CHECK(b_csf > b_gm);
  CHECK(b_gm > b_wm);
  CHECK(tissue_mean(maps, a, kFat) > a_wm);  // fat brightest in T1w
}

TEST_CASE("phantom: bad options throw InputError naming the flag", "[phantom]") {
  PhantomOptions o = small_options("unused");
  o.bit_depth = 12;
  CHECK_THROWS_WITH(validate_phantom_options(o), Catch::Contains("--bit-depth"));
  o = small_options("unused");
  o.subjects = 0;
  CHECK_THROWS_WITH(validate_phantom_options(o), Catch::Contains("--subjects"));
  gan::testing::TempDir dir;
  std::ofstream(dir.file("plain")) << "x";
  o = small_options(dir.path / "plain" / "sub");
  CHECK_THROWS_AS(write_phantom_dataset(o), gan::InputError);
}
