#include <catch2/catch.hpp>
#include <cmath>
#include <set>

#include "core/error.h"
#include "tests/train/temp_dir.h"
#include "train/data/dataset.h"

using gan::InputError;
using gan::Shape;
using gan::Tensor;
using gan::io::Image;
using gan::testing::TempDir;
using namespace gan::train;

namespace {

Image filled(int w, int h, int c, float v) {
  Image img;
  img.width = w;
  img.height = h;
  img.channels = c;
  img.pixels.assign(static_cast<size_t>(w) * h * c, v);
  return img;
}

// n images of varied sizes, image i with mean brightness depending on i.
void make_folder(const TempDir& dir, const std::string& sub, int n) {
  std::filesystem::create_directories(dir.path / sub);
  for (int i = 0; i < n; ++i) {
    Image img = filled(20 + i % 3 * 4, 16 + i % 2 * 6, 1, 0.f);
    for (int y = 0; y < img.height; ++y)
      for (int x = 0; x < img.width; ++x)
        img.pixels[y * img.width + x] = std::fmod(0.05f * i + 0.02f * x + 0.01f * y, 1.f);
    gan::io::save_png((dir.path / sub / ("img_" + std::to_string(i) + ".png")).string(), img, 8);
  }
}

bool same(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.to_vector<float>() == b.to_vector<float>();
}

}  // namespace

TEST_CASE("resize_image: area averaging when shrinking, bilinear when enlarging", "[dataset]") {
  Image img = filled(4, 4, 1, 0.f);
  for (int i = 0; i < 16; ++i) img.pixels[i] = static_cast<float>(i);
  Image half = resize_image(img, 2, 2);
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 2; ++x) {
      float ref = (img.at(2 * y, 2 * x) + img.at(2 * y, 2 * x + 1) + img.at(2 * y + 1, 2 * x) +
                   img.at(2 * y + 1, 2 * x + 1)) / 4;
      CHECK(half.at(y, x) == Approx(ref));
    }
  // 3 -> 2: output pixel 0 covers input [0, 1.5): (v0 + 0.5 v1) / 1.5.
  Image row = filled(3, 1, 1, 0.f);
  row.pixels = {3.f, 6.f, 9.f};
  Image r2 = resize_image(row, 2, 1);
  CHECK(r2.at(0, 0) == Approx((3 + 0.5 * 6) / 1.5));
  CHECK(r2.at(0, 1) == Approx((0.5 * 6 + 9) / 1.5));
  // 2 -> 4 bilinear with half-pixel centres, edges clamped.
  Image two = filled(2, 1, 1, 0.f);
  two.pixels = {1.f, 5.f};
  Image four = resize_image(two, 4, 1);
  CHECK(four.at(0, 0) == Approx(1));
  CHECK(four.at(0, 1) == Approx(0.75 * 1 + 0.25 * 5));
  CHECK(four.at(0, 2) == Approx(0.25 * 1 + 0.75 * 5));
  CHECK(four.at(0, 3) == Approx(5));
}

TEST_CASE("pad to square never stretches: a white rectangle keeps its proportions", "[dataset]") {
  // All-white 40 x 20 image: after pad + resize to 20 x 20 it is a 20 x 10 white band, centred.
  Image img = filled(40, 20, 3, 1.f);
  Image sq = pad_to_square(img);
  CHECK(sq.width == 40);
  CHECK(sq.height == 40);
  CHECK(sq.at(9, 0) == 0.f);
  CHECK(sq.at(10, 0, 2) == 1.f);
  CHECK(sq.at(29, 39) == 1.f);
  CHECK(sq.at(30, 39) == 0.f);

  ImageTransform t;
  t.train = false;
  t.crop_size = 20;
  gan::Rng rng(1);
  std::vector<float> v = transform_image(img, t, rng);
  REQUIRE(v.size() == 400);
  int white_rows = 0, white_cols_in_row10 = 0;
  for (int y = 0; y < 20; ++y) {
    bool any = false;
    for (int x = 0; x < 20; ++x) any |= v[y * 20 + x] > 0.f;
    white_rows += any;
  }
  for (int x = 0; x < 20; ++x) white_cols_in_row10 += v[10 * 20 + x] > 0.f;
  CHECK(white_rows == 10);
  CHECK(white_cols_in_row10 == 20);
  CHECK(v[0] == -1.f);          // padding is black = -1
  CHECK(v[10 * 20 + 3] == 1.f); // white = +1
  // A tall image pads left and right instead.
  Image tall = pad_to_square(filled(10, 30, 1, 1.f));
  CHECK(tall.at(0, 9) == 0.f);
  CHECK(tall.at(0, 10) == 1.f);
  CHECK(tall.at(29, 19) == 1.f);
  CHECK(tall.at(29, 20) == 0.f);
}

TEST_CASE("pad_to_square_resized equals pad_to_square then resize, without the padded canvas",
          "[dataset]") {
  gan::Rng rng(7);
  const int shapes[][3] = {{40, 20, 1}, {20, 40, 3}, {7, 33, 1}, {64, 64, 1}, {1, 50, 3}, {50, 1, 1}};
  for (const auto& sh : shapes)
    for (int size : {8, 33, 64, 90}) {
      Image img = filled(sh[0], sh[1], sh[2], 0.f);
      for (float& p : img.pixels) p = static_cast<float>(rng.uniform());
      const Image want = resize_image(pad_to_square(img), size, size);
      const Image got = pad_to_square_resized(img, size);
      INFO(sh[0] << "x" << sh[1] << "x" << sh[2] << " -> " << size);
      REQUIRE(got.width == size);
      REQUIRE(got.height == size);
      REQUIRE(got.channels == sh[2]);
      // Taps outside the image only ever added exact zeros, so the results are bitwise equal.
      CHECK(got.pixels == want.pixels);
    }
  // A 16384 x 1 strip: the padded square would be 16384^2 floats (1 GiB); this needs ~20 MB.
  Image strip = filled(1, 16384, 1, 1.f);
  const Image small = pad_to_square_resized(strip, 286);
  REQUIRE(small.width == 286);
  // Area averaging keeps the mean: the strip's total shrinks by (286 / 16384)^2; all of it lands
  // in the one or two centre columns.
  double total = 0, centre = 0;
  for (int y = 0; y < 286; ++y)
    for (int x = 0; x < 286; ++x) {
      total += small.at(y, x);
      if (x == 142 || x == 143) centre += small.at(y, x);
    }
  CHECK(total == Approx(286.0 * 286.0 / 16384.0).epsilon(1e-4));
  CHECK(centre == Approx(total).epsilon(1e-6));
}

TEST_CASE("transform_image: train crops and flips from the generator, reproducibly", "[dataset]") {
  Image img = filled(32, 32, 1, 0.f);
  for (int y = 0; y < 32; ++y)
    for (int x = 0; x < 32; ++x) img.pixels[y * 32 + x] = x / 31.f;  // left dark, right bright
  ImageTransform t;
  t.load_size = 32;
  t.crop_size = 24;
  int flipped = 0, crops_seen = 0;
  std::set<float> corners;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    gan::Rng g1(seed), g2(seed);
    std::vector<float> a = transform_image(img, t, g1), b = transform_image(img, t, g2);
    CHECK(a == b);
    REQUIRE(a.size() == 24 * 24);
    for (float v : a) CHECK((v >= -1.f && v <= 1.f));
    flipped += a[0] > a[23];
    corners.insert(a[0]);
    ++crops_seen;
  }
  CHECK(flipped > 2);
  CHECK(flipped < 18);
  CHECK(corners.size() > 3);  // different crop offsets
  t.channels = 3;
  gan::Rng g(3);
  CHECK(transform_image(img, t, g).size() == 3 * 24 * 24);
  t.crop_size = 40;
  CHECK_THROWS_AS(transform_image(img, t, g), std::invalid_argument);
}

TEST_CASE("list_image_files: sorted, skips unreadable files with a warning, errors when none", "[dataset]") {
  TempDir dir;
  make_folder(dir, "a", 3);
  gan::testing::write_bytes(dir.file("a/broken.png"), "not a png");
  gan::testing::write_bytes(dir.file("a/notes.txt"), "hello");
  std::filesystem::create_directories(dir.path / "a" / "sub.png");
  auto files = list_image_files(dir.file("a"));
  REQUIRE(files.size() == 3);
  CHECK(files[0] == dir.file("a/img_0.png"));
  CHECK(files[2] == dir.file("a/img_2.png"));

  std::filesystem::create_directories(dir.path / "bad");
  gan::testing::write_bytes(dir.file("bad/x.png"), "not a png");
  CHECK_THROWS_WITH(list_image_files(dir.file("bad")), Catch::Contains("no readable images"));
  std::filesystem::create_directories(dir.path / "empty");
  CHECK_THROWS_WITH(list_image_files(dir.file("empty")), Catch::Contains(dir.file("empty")));
  CHECK_THROWS_AS(list_image_files(dir.file("missing")), InputError);
  CHECK_THROWS_AS(list_image_files(dir.file("a/notes.txt")), InputError);
}

TEST_CASE("UnpairedLoader: epoch length, coverage, determinism and exact resume", "[dataset]") {
  TempDir dir;
  make_folder(dir, "a", 5);
  make_folder(dir, "b", 3);
  ImageTransform t;
  t.load_size = 20;
  t.crop_size = 16;
  {
    UnpairedLoader loader(dir.file("a"), dir.file("b"), t, 42, 2, 2);
    CHECK(loader.steps_per_epoch() == 2);  // max(5, 3) / 2
    UnpairedLoader one(dir.file("a"), dir.file("b"), t, 42, 1, 2);
    CHECK(one.steps_per_epoch() == 5);
    UnpairedLoader big(dir.file("a"), dir.file("b"), t, 42, 16, 1);
    CHECK(big.steps_per_epoch() == 1);
  }
  UnpairedLoader l1(dir.file("a"), dir.file("b"), t, 42, 1, 3);
  // Each epoch visits every A file once, every B file at least once (wrapping), and the order
  // changes between epochs.
  std::vector<size_t> order0, order1;
  for (int64_t e = 0; e < 2; ++e) {
    std::set<size_t> seen_a, seen_b;
    for (int64_t s = 0; s < 5; ++s) {
      seen_a.insert(l1.index_a(e, s));
      seen_b.insert(l1.index_b(e, s));
      (e == 0 ? order0 : order1).push_back(l1.index_a(e, s));
    }
    CHECK(seen_a.size() == 5);
    CHECK(seen_b.size() == 3);
  }
  CHECK(order0 != order1);

  std::vector<UnpairedLoader::Batch> run;
  std::vector<UnpairedLoader::State> states;
  for (int i = 0; i < 12; ++i) {
    states.push_back(l1.state());
    run.push_back(l1.next());
    CHECK(run.back().a.shape() == Shape{1, 1, 16, 16});
    CHECK(run.back().epoch == i / 5);
    CHECK(run.back().step_in_epoch == i % 5);
  }
  CHECK(l1.state().epoch == 2);
  CHECK(l1.state().step_in_epoch == 2);

  // Same seed, new loader: the same stream.
  UnpairedLoader l2(dir.file("a"), dir.file("b"), t, 42, 1, 1);
  for (int i = 0; i < 12; ++i) {
    auto b = l2.next();
    CHECK(same(b.a, run[i].a));
    CHECK(same(b.b, run[i].b));
  }
  // Resume at step 7 (mid epoch 1): bitwise the same batches from there on.
  UnpairedLoader l3(dir.file("a"), dir.file("b"), t, states[7], 1, 2);
  CHECK(l3.state().epoch == 1);
  for (int i = 7; i < 12; ++i) {
    auto b = l3.next();
    CHECK(b.epoch == run[i].epoch);
    CHECK(b.step_in_epoch == run[i].step_in_epoch);
    CHECK(same(b.a, run[i].a));
    CHECK(same(b.b, run[i].b));
  }
  CHECK(same(l3.make_batch(states[3]).a, run[3].a));
  // Another seed: another stream.
  UnpairedLoader l4(dir.file("a"), dir.file("b"), t, 43, 1, 1);
  bool differs = false;
  for (int i = 0; i < 5; ++i) differs |= !same(l4.next().a, run[i].a);
  CHECK(differs);
  // A position outside the epoch (folders changed since the checkpoint) is refused.
  CHECK_THROWS_AS(UnpairedLoader(dir.file("a"), dir.file("b"), t, UnpairedLoader::State{42, 0, 5}),
                  InputError);
}

TEST_CASE("UnpairedLoader: a decode failure reaches the caller, destruction mid-stream is clean", "[dataset]") {
  TempDir dir;
  make_folder(dir, "a", 2);
  make_folder(dir, "b", 2);
  // Header intact, pixel data cut: passes the folder scan, fails to decode.
  std::string png = gan::testing::read_bytes(dir.file("b/img_1.png"));
  gan::testing::write_bytes(dir.file("b/img_1.png"), png.substr(0, 40));
  ImageTransform t;
  t.load_size = 16;
  t.crop_size = 16;
  UnpairedLoader loader(dir.file("a"), dir.file("b"), t, 1, 2, 2);
  CHECK_THROWS_WITH(loader.next(), Catch::Contains("img_1.png"));
  CHECK_THROWS_AS(loader.next(), InputError);
  // Destroying a loader whose queue is full must not hang.
  make_folder(dir, "c", 3);
  { UnpairedLoader busy(dir.file("a"), dir.file("c"), t, 1, 1, 1); }
}

TEST_CASE("image tensors: load at native size in [-1, 1], save back", "[dataset]") {
  TempDir dir;
  Image img = filled(7, 5, 1, 0.f);
  for (size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = (i % 11) / 10.f;
  gan::io::save_png(dir.file("x.png"), img, 16);
  Tensor t = load_image_tensor(dir.file("x.png"), 1);
  CHECK(t.shape() == Shape{1, 1, 5, 7});
  auto v = t.to_vector<float>();
  for (size_t i = 0; i < v.size(); ++i) CHECK(v[i] == Approx(img.pixels[i] * 2 - 1).margin(1e-4));
  Tensor rgb = load_image_tensor(dir.file("x.png"), 3);
  CHECK(rgb.shape() == Shape{1, 3, 5, 7});
  save_image_tensor(dir.file("y.png"), t, 16);
  Image back = gan::io::load_image(dir.file("y.png"));
  for (size_t i = 0; i < v.size(); ++i) CHECK(back.pixels[i] == Approx(img.pixels[i]).margin(1e-4));
  CHECK_THROWS_AS(save_image_tensor(dir.file("z.png"), Tensor::zeros(Shape{2, 1, 4, 4})),
                  std::invalid_argument);
}

TEST_CASE("spread_indices: distinct, ascending, evenly spread, at most the total", "[dataset]") {
  CHECK(spread_indices(10, 4) == std::vector<size_t>{1, 3, 6, 8});
  CHECK(spread_indices(3, 5) == std::vector<size_t>{0, 1, 2});
  CHECK(spread_indices(0, 4).empty());
  CHECK(spread_indices(7, 0).empty());
  for (size_t total : {1, 2, 5, 43, 1000})
    for (int n : {1, 2, 3, 4, 7, 16}) {
      INFO(total << " " << n);
      const auto idx = spread_indices(total, n);
      REQUIRE(idx.size() == std::min(total, static_cast<size_t>(n)));
      for (size_t i = 0; i < idx.size(); ++i) {
        CHECK(idx[i] < total);
        if (i) CHECK(idx[i] > idx[i - 1]);
        // Within one of the centre of the i-th of idx.size() equal parts of [0, total).
        CHECK(std::abs(static_cast<double>(idx[i]) - (i + 0.5) * total / idx.size()) < 1.0);
      }
    }
}
