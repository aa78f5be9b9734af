#include <stb_image_write.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>

#include "core/error.h"
#include "tests/train/temp_dir.h"
#include "train/io/atomic_file.h"
#include "train/io/image_io.h"

using gan::InputError;
using gan::testing::TempDir;
using namespace gan::io;

namespace {

// A smooth gradient with some structure, values in [0, 1].
Image test_image(int w, int h, int c) {
  Image img;
  img.width = w;
  img.height = h;
  img.channels = c;
  img.pixels.resize(static_cast<size_t>(w) * h * c);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int k = 0; k < c; ++k)
        img.pixels[(static_cast<size_t>(y) * w + x) * c + k] =
            0.5f + 0.5f * std::sin(0.37f * x + 0.11f * y * (k + 1) + k);
  return img;
}

double max_abs_diff(const Image& a, const Image& b) {
  REQUIRE(a.pixels.size() == b.pixels.size());
  double m = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) m = std::max(m, double(std::fabs(a.pixels[i] - b.pixels[i])));
  return m;
}

bool throws_naming(const std::function<void()>& f, const std::string& needle) {
  try {
    f();
  } catch (const InputError& e) {
    return std::string(e.what()).find(needle) != std::string::npos;
  }
  return false;
}

}  // namespace

TEST_CASE("png 8-bit round trip is exact after quantisation", "[image_io]") {
  TempDir dir;
  for (int c : {1, 2, 3, 4}) {
    Image img = test_image(13, 7, c);
    std::string path = dir.file("img" + std::to_string(c) + ".png");
    save_png(path, img, 8);
    Image back = load_image(path);
    CHECK(back.width == 13);
    CHECK(back.height == 7);
    CHECK(back.channels == c);
    CHECK(back.bit_depth == 8);
    CHECK(max_abs_diff(img, back) <= 0.5 / 255 + 1e-6);
  }
}

TEST_CASE("png 16-bit round trip keeps the full range", "[image_io]") {
  TempDir dir;
  Image img = test_image(9, 11, 1);
  img.pixels[0] = 0.f;
  img.pixels[1] = 1.f;
  img.pixels[2] = 1.f / 65535;
  std::string path = dir.file("deep.png");
  save_png(path, img, 16);
  Image back = load_image(path);
  CHECK(back.bit_depth == 16);
  CHECK(max_abs_diff(img, back) <= 0.5 / 65535 + 1e-7);
  CHECK(back.pixels[0] == 0.f);
  CHECK(back.pixels[1] == 1.f);
  CHECK(back.pixels[2] == Approx(1.0 / 65535).epsilon(1e-6));
  // 16 bits resolve what 8 bits can't.
  Image coarse = img;
  save_png(dir.file("coarse.png"), img, 8);
  coarse = load_image(dir.file("coarse.png"));
  CHECK(max_abs_diff(img, coarse) > 10 * max_abs_diff(img, back));
}

TEST_CASE("save_png clamps out-of-range values", "[image_io]") {
  TempDir dir;
  Image img = test_image(4, 1, 1);
  img.pixels = {-0.5f, 1.5f, NAN, 0.25f};
  save_png(dir.file("c.png"), img, 8);
  Image back = load_image(dir.file("c.png"));
  CHECK(back.pixels[0] == 0.f);
  CHECK(back.pixels[1] == 1.f);
  CHECK(back.pixels[2] == 0.f);
  CHECK(back.pixels[3] == Approx(64.0 / 255));
}

TEST_CASE("jpeg and bmp load", "[image_io]") {
  TempDir dir;
  const int w = 16, h = 8;
  std::vector<unsigned char> rgb(w * h * 3);
  for (int i = 0; i < w * h; ++i) {
    rgb[i * 3] = static_cast<unsigned char>(i);
    rgb[i * 3 + 1] = 200;
    rgb[i * 3 + 2] = 50;
  }
  REQUIRE(stbi_write_bmp(dir.file("a.bmp").c_str(), w, h, 3, rgb.data()));
  REQUIRE(stbi_write_jpg(dir.file("a.jpg").c_str(), w, h, 3, rgb.data(), 100));
  Image bmp = load_image(dir.file("a.bmp"));
  CHECK(bmp.width == w);
  CHECK(bmp.height == h);
  CHECK(bmp.channels == 3);
  for (int i = 0; i < w * h * 3; ++i) CHECK(bmp.pixels[i] == Approx(rgb[i] / 255.0));
  Image jpg = load_image(dir.file("a.jpg"));
  CHECK(jpg.width == w);
  CHECK(jpg.channels == 3);
  double err = 0;
  for (int i = 0; i < w * h * 3; ++i) err = std::max(err, std::fabs(jpg.pixels[i] - rgb[i] / 255.0));
  CHECK(err < 0.1);  // lossy, but close at quality 100
  Image gray = to_grayscale(bmp);
  CHECK(gray.channels == 1);
  CHECK(gray.pixels[5] == Approx(0.299 * 5 / 255 + 0.587 * 200 / 255 + 0.114 * 50 / 255).epsilon(1e-5));
}

TEST_CASE("corrupt, truncated, missing and oversized files give InputError naming the file", "[image_io]") {
  TempDir dir;
  save_png(dir.file("good.png"), test_image(32, 32, 1), 8);
  std::string good = gan::testing::read_bytes(dir.file("good.png"));

  std::string corrupt = good;
  for (size_t i = 40; i < corrupt.size() - 20; ++i) corrupt[i] = static_cast<char>(corrupt[i] ^ 0x5A);
  gan::testing::write_bytes(dir.file("corrupt.png"), corrupt);
  CHECK(throws_naming([&] { load_image(dir.file("corrupt.png")); }, dir.file("corrupt.png")));

  gan::testing::write_bytes(dir.file("trunc.png"), good.substr(0, good.size() / 2));
  CHECK(throws_naming([&] { load_image(dir.file("trunc.png")); }, dir.file("trunc.png")));

  gan::testing::write_bytes(dir.file("text.png"), "this is not an image");
  CHECK(throws_naming([&] { load_image(dir.file("text.png")); }, "text.png"));
  CHECK(throws_naming([&] { load_image(dir.file("missing.png")); }, "missing.png"));

  // A valid PNG header claiming 20000 x 20000 pixels: refused from the header, no decoding.
  std::string huge = good.substr(0, 33);
  auto put = [&](size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) huge[at + i] = static_cast<char>(v >> (24 - 8 * i));
  };
  put(16, 20000);
  put(20, 20000);
  gan::testing::write_bytes(dir.file("huge.png"), huge + good.substr(33));
  CHECK(throws_naming([&] { load_image(dir.file("huge.png")); }, "huge.png"));
  CHECK(throws_naming([&] { read_image_info(dir.file("huge.png")); }, "huge.png"));
  ImageInfo info = read_image_info(dir.file("good.png"));
  CHECK(info.width == 32);
  CHECK(info.channels == 1);
}

TEST_CASE("file names with spaces, '#' and unicode work", "[image_io]") {
  TempDir dir;
  std::string path = dir.file("scan #3 T1 \xc3\xa9t\xc3\xa9 \xe8\x84\x91.png");
  Image img = test_image(5, 6, 1);
  save_png(path, img, 16);
  CHECK(std::filesystem::exists(std::filesystem::u8path(path)));
  CHECK(max_abs_diff(img, load_image(path)) < 1e-4);
  CHECK(is_image_file_name(path));
}

TEST_CASE("is_image_file_name", "[image_io]") {
  CHECK(is_image_file_name("a.png"));
  CHECK(is_image_file_name("dir.x/A.JPEG"));
  CHECK(is_image_file_name("b.Jpg"));
  CHECK(is_image_file_name("c.bmp"));
  CHECK_FALSE(is_image_file_name("notes.txt"));
  CHECK_FALSE(is_image_file_name("dir.png/file"));
  CHECK_FALSE(is_image_file_name("png"));
  CHECK_FALSE(is_image_file_name("vol.nii.gz"));
}

TEST_CASE("atomic writes replace whole files or leave the old one", "[image_io]") {
  TempDir dir;
  const std::string path = dir.file("f.bin");
  write_file_atomic(path, std::string("old content"));
  CHECK(read_file(path) == "old content");
  // A writer that throws midway leaves the old file and no temp file.
  CHECK_THROWS_AS(write_file_atomic(path, [](std::FILE* f) {
                    std::fputs("partial", f);
                    throw std::runtime_error("boom");
                  }),
                  std::runtime_error);
  CHECK(read_file(path) == "old content");
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.path)) files += 1, (void)e;
  CHECK(files == 1);
  // A missing directory: InputError naming the path and the reason.
  const std::string bad = dir.file("no/such/dir/f.bin");
  CHECK(throws_naming([&] { write_file_atomic(bad, std::string("x")); }, bad + ": No such file"));
  write_file_atomic(path, std::string("new"));
  CHECK(read_file(path) == "new");
}
