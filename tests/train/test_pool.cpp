#include <catch2/catch.hpp>
#include <set>

#include "train/image_pool.h"

using namespace gan;
using gan::train::ImagePool;

namespace {
Tensor image(float v) { return Tensor::full({1, 1, 2, 2}, v); }
float value(const Tensor& t, int i) { return t.to_vector<float>()[i * 4]; }
}  // namespace

TEST_CASE("pool: fills, then returns a stored image or the new one, half each", "[train]") {
  ImagePool pool(4);
  Rng g(1);
  for (int i = 0; i < 4; ++i) CHECK(value(pool.query(image(float(i)), g), 0) == float(i));
  CHECK(pool.size() == 4);
  int from_pool = 0;
  const int n = 400;
  for (int i = 0; i < n; ++i) {
    float v = 100.f + i;
    float got = value(pool.query(image(v), g), 0);
    if (got != v) ++from_pool;
  }
  CHECK(from_pool > n * 0.4);
  CHECK(from_pool < n * 0.6);
  CHECK(pool.size() == 4);
}

TEST_CASE("pool: capacity 0 passes images through, stacked/restore round-trips", "[train]") {
  ImagePool off(0);
  Rng g(2);
  Tensor x = image(3.f);
  CHECK(off.query(x, g).same_storage(x));
  ImagePool pool(3);
  Tensor batch = Tensor::uniform({2, 1, 2, 2}, g, 0, 1);
  Tensor out = pool.query(batch, g);
  CHECK(out.shape() == batch.shape());
  Tensor st = pool.stacked();
  CHECK(st.to_vector<float>() == batch.to_vector<float>());
  ImagePool copy(3);
  copy.restore(st);
  CHECK(copy.size() == 2);
  CHECK(copy.stacked().to_vector<float>() == st.to_vector<float>());
  ImagePool small(1);
  CHECK_THROWS(small.restore(st));
}
