#include <catch2/catch.hpp>

#include "tests/train/temp_dir.h"
#include "train/report/image_grid.h"

using gan::Shape;
using gan::Tensor;
using gan::testing::TempDir;
using namespace gan::io;

TEST_CASE("image grid places cells with gaps and maps [-1, 1] to [0, 1]", "[image_grid]") {
  // Row 0: a 2x3 cell of -1 and a 2x3 cell with a ramp; row 1: a 4x2 cell of +1 (taller, narrower).
  Tensor dark = Tensor::full(Shape{1, 1, 2, 3}, -1.0);
  std::vector<float> ramp = {-1, -0.5f, 0, 0.5f, 1, 0};
  Tensor r = Tensor::from_vector(ramp, Shape{1, 1, 2, 3});
  Tensor bright = Tensor::full(Shape{1, 4, 2}, 1.0, gan::DType::f64);  // [C, H, W], f64
  bright = bright.reshape(Shape{1, 4, 2});
  Image g = make_image_grid({{dark, r}, {bright}}, 1, 0.25f);
  // Columns: widths 3 and 3; rows: heights 2 and 4; gap 1 all round.
  CHECK(g.width == 1 + 3 + 1 + 3 + 1);
  CHECK(g.height == 1 + 2 + 1 + 4 + 1);
  CHECK(g.channels == 1);
  CHECK(g.at(0, 0) == 0.25f);            // gap
  CHECK(g.at(1, 1) == 0.f);              // dark cell
  CHECK(g.at(2, 3) == 0.f);
  CHECK(g.at(1, 4) == 0.25f);            // gap between columns
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 3; ++x) CHECK(g.at(1 + y, 5 + x) == Approx((ramp[y * 3 + x] + 1) / 2));
  // The 2-wide bright cell is centred in its 3-wide column: x offset (3 - 2) / 2 = 0.
  CHECK(g.at(4, 1) == 1.f);
  CHECK(g.at(7, 2) == 1.f);
  CHECK(g.at(4, 3) == 0.25f);
  CHECK(g.at(4, 6) == 0.25f);  // missing cell

  // Any 3-channel cell makes the grid RGB; gray cells are replicated.
  Tensor rgb = Tensor::zeros(Shape{1, 3, 2, 3});
  Image c = make_image_grid({{dark, rgb}}, 0);
  CHECK(c.channels == 3);
  CHECK(c.width == 6);
  CHECK(c.at(0, 0, 2) == 0.f);
  CHECK(c.at(0, 4, 1) == 0.5f);
  CHECK_THROWS_AS(make_image_grid({{Tensor::zeros(Shape{2, 1, 2, 2})}}), std::invalid_argument);
  CHECK_THROWS_AS(make_image_grid({}), std::invalid_argument);

  TempDir dir;
  save_image_grid(dir.file("grid.png"), {{dark, r}, {bright}});
  Image back = load_image(dir.file("grid.png"));
  CHECK(back.width == 2 + 3 + 2 + 3 + 2);
  CHECK(back.height == 2 + 2 + 2 + 4 + 2);
}
