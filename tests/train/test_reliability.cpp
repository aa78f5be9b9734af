// Hostile files and failures: crafted tiny files claiming huge sizes are refused before any large
// allocation, a full disk leaves the old file intact, and a NaN stops training before a checkpoint
// of bad weights is written. The fuzz targets (tests/fuzz) search for more of the first kind.
#include <nifti1.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "core/error.h"
#include "train/io/atomic_file.h"
#include "train/checkpoint.h"
#include "train/io/image_io.h"
#include "train/io/nifti_io.h"
#include "train/io/safetensors.h"
#include "train/io/write_fault_for_testing.h"
#include "train/report/report.h"
#include "train/trainer.h"
#include "tests/train/temp_dir.h"

using namespace gan;
namespace fs = std::filesystem;
using gan::testing::TempDir;

namespace {

std::string u64_le(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>(v >> (8 * i));
  return s;
}
std::string safetensors_bytes(const std::string& header, const std::string& data = "") {
  return u64_le(header.size()) + header + data;
}
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

// A PNG of only a signature, an IHDR claiming w x h 8-bit gray, an empty IDAT and IEND.
std::string png_header_only(uint32_t w, uint32_t h) {
  auto u32 = [](uint32_t v) {
    std::string s(4, '\0');
    for (int i = 0; i < 4; ++i) s[i] = static_cast<char>(v >> (24 - 8 * i));
    return s;
  };
  auto chunk = [&](const std::string& type, const std::string& body) {
    std::string tb = type + body;
    uLong crc = crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(tb.data()), tb.size());
    return u32(body.size()) + tb + u32(static_cast<uint32_t>(crc));
  };
  std::string ihdr = u32(w) + u32(h) + std::string("\x08\x00\x00\x00\x00", 5);
  return std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", ihdr) + chunk("IDAT", "") +
         chunk("IEND", "");
}

}  // namespace

TEST_CASE("reliability: safetensors headers claiming huge or inconsistent sizes", "[reliability]") {
  // Header length far past the file.
  CHECK_THAT(error_of([] { io::parse_safetensors(u64_le(uint64_t(1) << 60) + "{}", "f"); }),
             Catch::Contains("exceeds the file size"));
  // A 2^40-element tensor in a 100-byte file.
  CHECK_THAT(error_of([] {
               io::parse_safetensors(
                   safetensors_bytes(R"({"w":{"dtype":"F32","shape":[1099511627776],"data_offsets":[0,4]}})", "abcd"), "f");
             }),
             Catch::Contains("needs 4398046511104 bytes"));
  // An empty tensor whose other dims multiply past int64 (Shape::numel would overflow).
  CHECK_THAT(error_of([] {
               io::parse_safetensors(
                   safetensors_bytes(R"({"e":{"dtype":"F32","shape":[0,4611686018427387904,4611686018427387904],"data_offsets":[0,0]}})"), "f");
             }),
             Catch::Contains("more than 2^62 elements"));
  // Overlapping ranges and offsets past the data.
  CHECK_THAT(error_of([] {
               io::parse_safetensors(safetensors_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", std::string(12, 'x')), "f");
             }),
             Catch::Contains("overlaps"));
  CHECK_THAT(error_of([] {
               io::parse_safetensors(safetensors_bytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})", "abcd"), "f");
             }),
             Catch::Contains("past the end"));
  // A consistent file still loads.
  auto ok = io::parse_safetensors(safetensors_bytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", std::string("\0\0\x80\x3f", 4)), "f");
  REQUIRE(ok.tensors.size() == 1);
  CHECK(ok.tensors[0].second.to_vector<float>()[0] == 1.0f);
}

TEST_CASE("reliability: an image header claiming more pixels than the file holds", "[reliability]") {
  const std::string png = png_header_only(16384, 16384);  // 268 M pixels in ~60 bytes
  CHECK(png.size() < 100);
  CHECK_THAT(error_of([&] { io::decode_image(png, "big.png"); }),
             Catch::Contains("big.png: header claims 16384x16384"));
  TempDir dir;
  gan::testing::write_bytes(dir.file("big.png"), png);
  CHECK_THAT(error_of([&] { io::read_image_info(dir.file("big.png")); }),
             Catch::Contains("more than a"));
  // A small real image of the same shape of header decodes.
  io::Image img;
  img.width = 5, img.height = 3;
  img.pixels.assign(15, 0.25f);
  io::save_png(dir.file("ok.png"), img);
  CHECK(io::load_image(dir.file("ok.png")).width == 5);
}

TEST_CASE("reliability: a NIfTI header claiming a huge volume in a tiny file", "[reliability]") {
  TempDir dir;
  nifti_1_header h;
  std::memset(&h, 0, sizeof h);
  h.sizeof_hdr = 348;
  h.dim[0] = 3, h.dim[1] = 4096, h.dim[2] = 4096, h.dim[3] = 16;  // 2^28 float64 voxels: 2 GiB
  for (int i = 4; i < 8; ++i) h.dim[i] = 1;
  h.datatype = DT_FLOAT64;
  h.bitpix = 64;
  h.vox_offset = 352;
  h.pixdim[1] = h.pixdim[2] = h.pixdim[3] = 1;
  std::memcpy(h.magic, "n+1\0", 4);
  std::string bytes(reinterpret_cast<const char*>(&h), sizeof h);
  bytes += std::string(4 + 64, '\0');  // extension flag + a few voxels
  gan::testing::write_bytes(dir.file("huge.nii"), bytes);
  CHECK_THAT(error_of([&] { io::load_nifti(dir.file("huge.nii")); }),
             Catch::Contains("truncated voxel data"));
}

TEST_CASE("reliability: training config values out of range are refused by name", "[reliability]") {
  using train::TrainConfig;
  CHECK_THAT(error_of([] { TrainConfig::from_json(R"({"size": 1e300})", "c.json"); }),
             Catch::Contains("'size' must be an integer"));
  CHECK_THAT(error_of([] { TrainConfig::from_json(R"({"batch": 1099511627776})", "c.json"); }),
             Catch::Contains("'batch' must be an integer in range"));
  CHECK_THAT(error_of([] { TrainConfig::from_json(R"({"seed": -1})", "c.json"); }),
             Catch::Contains("'seed' must be a non-negative integer"));
  CHECK_THAT(error_of([] { TrainConfig::from_json("[1, 2]", "c.json"); }),
             Catch::Contains("not a JSON object"));
  TrainConfig c;
  c.save_every_steps = 7;
  c.log_grad_norm = true;
  TrainConfig back = TrainConfig::from_json(c.to_json(), "x");
  CHECK(back.save_every_steps == 7);
  CHECK(back.log_grad_norm);
}

TEST_CASE("reliability: a checkpoint whose config claims a huge network is refused unbuilt", "[reliability]") {
  TempDir dir;
  train::TrainConfig c;
  c.model.gen = "unet";
  c.model.size = 32;
  c.model.ngf = 1000000;  // ~10^13 parameters if built
  io::save_safetensors(dir.file("ckpt.safetensors"),
                       {{"G_AB.x", Tensor::zeros({4})}},
                       {{"format", "gan-cyclegan/1"}, {"config", c.to_json()}});
  CHECK_THAT(error_of([&] { train::load_generator(dir.file("ckpt.safetensors"), "G_AB"); }),
             Catch::Contains("parameters, the file holds 4"));
}

TEST_CASE("reliability: a full disk leaves the old file and no temp file", "[reliability]") {
  TempDir dir;
  const std::string path = dir.file("latest.safetensors");
  io::write_file_atomic(path, std::string("old complete file"));
  std::string err, err_via_path;
  int64_t seen_bytes = -1;
  {
    struct Remove {
      ~Remove() { io::set_write_fault_for_testing(nullptr); }
    } remove;
    io::set_write_fault_for_testing([&](const std::string&, int64_t bytes) {
      seen_bytes = bytes;
      return ENOSPC;  // the disk is full
    });
    err = error_of([&] { io::write_file_atomic(path, std::string(1000, 'n')); });
    CHECK(seen_bytes == 1000);  // the fault saw the complete temp file
    // Files that a library writes itself (niftilib) go through the same fault.
    err_via_path = error_of([&] {
      io::write_file_atomic_via_path(path, [](const std::string& temp) {
        gan::testing::write_bytes(temp, std::string(10, 'v'));
      });
    });
    CHECK(seen_bytes == 10);
  }
  CHECK_THAT(err, Catch::Contains(path) && Catch::Contains("No space left on device"));
  CHECK_THAT(err_via_path, Catch::Contains(path) && Catch::Contains("No space left on device"));
  CHECK(gan::testing::read_bytes(path) == "old complete file");
  int files = 0;
  for (auto& e : fs::directory_iterator(dir.path)) files += e.is_regular_file();
  CHECK(files == 1);
  io::write_file_atomic(path, std::string("new"));  // the fault is gone
  CHECK(gan::testing::read_bytes(path) == "new");
}

TEST_CASE("reliability: temp files of killed writers are removed, live ones kept", "[reliability]") {
  TempDir dir;
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);  // a pid no process has now
  const std::string dead = dir.file("latest.safetensors.tmp." + std::to_string(child));
  const std::string dead_ext = dir.file("vol.tmp." + std::to_string(child) + ".nii.gz");
  const std::string mine = dir.file("latest.safetensors.tmp." + std::to_string(::getpid()));
  const std::string other = dir.file("notes.tmp.txt");
  for (const auto& p : {dead, dead_ext, mine, other}) gan::testing::write_bytes(p, "x");
  CHECK(io::remove_stale_temp_files(dir.path.string()) == 2);
  CHECK(!fs::exists(dead));
  CHECK(!fs::exists(dead_ext));
  CHECK(fs::exists(mine));
  CHECK(fs::exists(other));
}

TEST_CASE("reliability: a NaN stops training by step and term, keeping the last good checkpoint", "[reliability]") {
  TempDir dir;
  for (const char* d : {"A", "B"}) fs::create_directories(dir.path / d);
  for (int i = 0; i < 2; ++i) {
    io::Image img;
    img.width = img.height = 32;
    img.pixels.resize(32 * 32);
    for (int p = 0; p < 32 * 32; ++p) img.pixels[p] = float((p * (i + 3)) % 89) / 88.f;
    io::save_png(dir.file("A/" + std::to_string(i) + ".png"), img);
    io::save_png(dir.file("B/" + std::to_string(i) + ".png"), img);
  }
  train::TrainConfig c;
  c.data_a = dir.file("A");
  c.data_b = dir.file("B");
  c.out = dir.file("run");
  c.model.size = 32;
  c.model.ngf = c.model.ndf = 4;
  c.load_size = 32;
  c.epochs = 10;
  c.decay_epochs = 0;
  c.save_every_steps = 1;
  c.sample_every = 0;
  c.num_samples = 1;
  c.log_grad_norm = true;
  std::ostringstream log;
  std::string err;
  {
    train::Trainer t(c, false, log);
    t.set_batch_hook([](int64_t step, train::UnpairedLoader::Batch& batch) {
      if (step == 3 && batch.a.numel() > 0) batch.a.data<float>()[0] = std::nanf("");
    });
    try {
      t.run();
    } catch (const train::NonFiniteError& e) {
      err = e.what();
    }
  }
  CHECK_THAT(err, Catch::StartsWith("step 3: loss term ") && Catch::Contains("NaN"));
  // latest is the step-2 checkpoint, all finite.
  io::SafetensorsFile f = io::load_safetensors(c.out + "/checkpoints/latest.safetensors");
  CHECK(f.metadata.at("global_step") == "2");
  size_t non_finite = 0;
  for (const auto& [name, t] : f.tensors)
    for (float v : t.to_vector<float>()) non_finite += !std::isfinite(v);
  CHECK(non_finite == 0);
  // losses.csv has the gradient-norm columns, finite for the good steps.
  const train::CsvTable csv = train::read_csv(c.out + "/losses.csv");
  const int grad_norm_G = train::column_index(csv, "grad_norm_G");
  const int grad_norm_D = train::column_index(csv, "grad_norm_D");
  CHECK(grad_norm_G >= 0);
  CHECK(grad_norm_D == grad_norm_G + 1);
  REQUIRE(grad_norm_D >= 0);
  REQUIRE_FALSE(csv.rows.empty());
  const double gd = csv.rows[0][size_t(grad_norm_D)];
  CHECK(std::isfinite(gd));
  CHECK(gd > 0);
}

TEST_CASE("reliability: saved fuzzer findings load cleanly or fail with InputError", "[reliability]") {
  // tests/data/fuzz_regressions/<target>/: inputs that once crashed a fuzz target or made it
  // allocate over its limit (tools/fuzz.sh replays them too).
  const fs::path dir = fs::path(GAN_SOURCE_DIR) / "tests/data/fuzz_regressions";
  int files = 0;
  for (const char* target : {"image", "safetensors", "train_config", "nifti"}) {
    if (!fs::is_directory(dir / target)) continue;
    for (auto& e : fs::directory_iterator(dir / target)) {
      INFO(e.path().string());
      const std::string bytes = gan::testing::read_bytes(e.path().string());
      ++files;
      try {
        if (std::string(target) == "image") io::decode_image(bytes, e.path().string());
        if (std::string(target) == "safetensors") io::parse_safetensors(bytes, e.path().string());
        if (std::string(target) == "train_config")
          train::TrainConfig::from_json(bytes, e.path().string());
        if (std::string(target) == "nifti") io::load_nifti(e.path().string());
      } catch (const InputError&) {
      }
    }
  }
  CHECK(files >= 1);
}

TEST_CASE("reliability: a PNG chunk longer than the file is refused before decoding", "[reliability]") {
  // The fuzz_image finding: stb grows its buffer to a chunk's declared length before reading it.
  std::string png = png_header_only(4, 4);
  const size_t idat = png.find("IDAT") - 4;
  png[idat] = '\x40';  // IDAT length 0x40000000 (1 GiB) in a 60-byte file
  CHECK_THAT(error_of([&] { io::decode_image(png, "chunk.png"); }),
             Catch::Contains("chunk.png: PNG chunk 'IDAT' of 1073741824 bytes runs past the end"));
}
