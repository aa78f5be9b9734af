// Shape: up to 4 dimensions (NCHW), stored inline so a Tensor copy never allocates for it.
#pragma once
#include <array>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>

namespace gan {

struct Shape {
  static constexpr int kMaxDims = 4;
  int ndim = 0;                       // 0 = scalar (one element)
  std::array<int64_t, kMaxDims> d{};  // sizes; unused entries are 0

  Shape() = default;
  Shape(std::initializer_list<int64_t> dims) {
    if (dims.size() > kMaxDims) throw std::invalid_argument("Shape: at most 4 dimensions");
    for (int64_t v : dims) {
      if (v < 0) throw std::invalid_argument("Shape: negative size");
      d[ndim++] = v;
    }
  }
  static Shape of(const int64_t* dims, int n) {
    Shape s;
    if (n > kMaxDims) throw std::invalid_argument("Shape: at most 4 dimensions");
    for (int i = 0; i < n; ++i) s.d[s.ndim++] = dims[i];
    return s;
  }

  int64_t operator[](int i) const { return d[i]; }
  int64_t numel() const {
    int64_t n = 1;
    for (int i = 0; i < ndim; ++i) n *= d[i];
    return n;
  }
  bool operator==(const Shape& o) const {
    if (ndim != o.ndim) return false;
    for (int i = 0; i < ndim; ++i)
      if (d[i] != o.d[i]) return false;
    return true;
  }
  bool operator!=(const Shape& o) const { return !(*this == o); }

  std::string str() const {
    std::string s = "[";
    for (int i = 0; i < ndim; ++i) s += (i ? ", " : "") + std::to_string(d[i]);
    return s + "]";
  }
};

}  // namespace gan
