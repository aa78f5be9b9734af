#include "train/data/dataset.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <stdexcept>

#include "core/error.h"

namespace gan::train {
namespace fs = std::filesystem;
using io::Image;

namespace {

// For each output index along one axis: the input indices and weights that make it.
struct Taps {
  std::vector<int> start, count;
  std::vector<float> weight;  // count[o] entries from offset[o]
  std::vector<size_t> offset;
};

// Bilinear (half-pixel centres) when enlarging; box/area averaging when shrinking, so every input
// pixel contributes and thin structures don't alias away.
Taps make_taps(int in, int out) {
  Taps t;
  t.start.resize(out);
  t.count.resize(out);
  t.offset.resize(out);
  const double scale = static_cast<double>(in) / out;
  for (int o = 0; o < out; ++o) {
    t.offset[o] = t.weight.size();
    if (out >= in) {
      double src = (o + 0.5) * scale - 0.5;
      src = std::clamp(src, 0.0, static_cast<double>(in - 1));
      int i0 = static_cast<int>(std::floor(src));
      int i1 = std::min(i0 + 1, in - 1);
      float f = static_cast<float>(src - i0);
      t.start[o] = i0;
      if (i1 == i0) {
        t.count[o] = 1;
        t.weight.push_back(1.f);
      } else {
        t.count[o] = 2;
        t.weight.push_back(1.f - f);
        t.weight.push_back(f);
      }
    } else {
      const double lo = o * scale, hi = (o + 1) * scale;
      int i0 = static_cast<int>(std::floor(lo));
      int i1 = std::min(static_cast<int>(std::ceil(hi)), in);
      t.start[o] = i0;
      t.count[o] = i1 - i0;
      for (int i = i0; i < i1; ++i) {
        double cover = std::min(hi, i + 1.0) - std::max(lo, static_cast<double>(i));
        t.weight.push_back(static_cast<float>(cover / scale));
      }
    }
  }
  return t;
}

void check_transform(const ImageTransform& t) {
  if (t.channels != 1 && t.channels != 3)
    throw std::invalid_argument("ImageTransform: channels must be 1 or 3, got " +
                                std::to_string(t.channels));
  if (t.crop_size < 1 || t.load_size < 1)
    throw std::invalid_argument("ImageTransform: load_size and crop_size must be positive");
  if (t.train && t.crop_size > t.load_size)
    throw std::invalid_argument("ImageTransform: crop_size " + std::to_string(t.crop_size) +
                                " > load_size " + std::to_string(t.load_size));
}

}  // namespace

// ---- image preparation ---------------------------------------------------------------------

Image convert_channels(const Image& img, int channels) {
  if (channels == 1) return io::to_grayscale(img);
  if (channels != 3) throw std::invalid_argument("convert_channels: channels must be 1 or 3");
  if (img.channels == 3) return img;
  Image out;
  out.width = img.width;
  out.height = img.height;
  out.channels = 3;
  out.bit_depth = img.bit_depth;
  const size_t n = static_cast<size_t>(img.width) * img.height;
  out.pixels.resize(n * 3);
  for (size_t i = 0; i < n; ++i)
    for (int c = 0; c < 3; ++c)
      out.pixels[i * 3 + c] = img.pixels[i * img.channels + (img.channels >= 3 ? c : 0)];
  return out;
}

Image pad_to_square(const Image& img) {
  const int side = std::max(img.width, img.height);
  if (img.width == side && img.height == side) return img;
  Image out;
  out.width = out.height = side;
  out.channels = img.channels;
  out.bit_depth = img.bit_depth;
  out.pixels.assign(static_cast<size_t>(side) * side * img.channels, 0.f);
  const int ox = (side - img.width) / 2, oy = (side - img.height) / 2;
  const size_t row = static_cast<size_t>(img.width) * img.channels;
  for (int y = 0; y < img.height; ++y)
    std::copy_n(&img.pixels[y * row], row,
                &out.pixels[(static_cast<size_t>(y + oy) * side + ox) * img.channels]);
  return out;
}

namespace {

// Resamples a virtual vw x vh canvas, zero everywhere except `img` placed at (ox, oy), to
// width x height. The canvas itself is never built: taps that land outside the image add
// nothing, so a 16384x1 strip padded to a square costs a few MB instead of a 1 GB canvas.
Image resize_placed(const Image& img, int vw, int vh, int ox, int oy, int width, int height) {
  if (width < 1 || height < 1) throw std::invalid_argument("resize_image: empty target size");
  const int C = img.channels;
  const Taps tx = make_taps(vw, width), ty = make_taps(vh, height);
  // Horizontal pass over the image's own rows: [img.height, width, C]; then vertical.
  std::vector<float> mid(static_cast<size_t>(img.height) * width * C, 0.f);
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < width; ++x) {
      float* dst = &mid[(static_cast<size_t>(y) * width + x) * C];
      for (int k = 0; k < tx.count[x]; ++k) {
        const int sx = tx.start[x] + k - ox;
        if (sx < 0 || sx >= img.width) continue;
        const float w = tx.weight[tx.offset[x] + k];
        const float* src = &img.pixels[(static_cast<size_t>(y) * img.width + sx) * C];
        for (int c = 0; c < C; ++c) dst[c] += w * src[c];
      }
    }
  Image out;
  out.width = width;
  out.height = height;
  out.channels = C;
  out.bit_depth = img.bit_depth;
  out.pixels.assign(static_cast<size_t>(height) * width * C, 0.f);
  const size_t row = static_cast<size_t>(width) * C;
  for (int y = 0; y < height; ++y) {
    float* dst = &out.pixels[y * row];
    for (int k = 0; k < ty.count[y]; ++k) {
      const int sy = ty.start[y] + k - oy;
      if (sy < 0 || sy >= img.height) continue;
      const float w = ty.weight[ty.offset[y] + k];
      const float* src = &mid[sy * row];
      for (size_t i = 0; i < row; ++i) dst[i] += w * src[i];
    }
  }
  return out;
}

}  // namespace

Image resize_image(const Image& img, int width, int height) {
  if (img.width == width && img.height == height) return img;
  return resize_placed(img, img.width, img.height, 0, 0, width, height);
}

Image pad_to_square_resized(const Image& img, int size) {
  const int side = std::max(img.width, img.height);
  return resize_placed(img, side, side, (side - img.width) / 2, (side - img.height) / 2, size,
                       size);
}

std::vector<float> transform_image(const Image& img, const ImageTransform& t, Rng& rng) {
  check_transform(t);
  const Image converted = convert_channels(img, t.channels);
  const int S = t.crop_size, C = t.channels;
  int ox = 0, oy = 0;
  bool flip = false;
  Image sized;
  if (t.train) {
    sized = pad_to_square_resized(converted, t.load_size);
    ox = static_cast<int>(rng.uniform_int(static_cast<uint64_t>(t.load_size - S + 1)));
    oy = static_cast<int>(rng.uniform_int(static_cast<uint64_t>(t.load_size - S + 1)));
    flip = rng.uniform() < 0.5;
  } else {
    sized = pad_to_square_resized(converted, S);
  }
  std::vector<float> chw(static_cast<size_t>(C) * S * S);
  for (int c = 0; c < C; ++c)
    for (int y = 0; y < S; ++y)
      for (int x = 0; x < S; ++x) {
        const int sx = ox + (flip ? S - 1 - x : x);
        const float v = sized.pixels[(static_cast<size_t>(oy + y) * sized.width + sx) * C + c];
        chw[(static_cast<size_t>(c) * S + y) * S + x] = v * 2.f - 1.f;
      }
  return chw;
}

std::vector<size_t> spread_indices(size_t total, int n) {
  const size_t count = std::min(total, static_cast<size_t>(std::max(n, 0)));
  std::vector<size_t> out(count);
  for (size_t i = 0; i < count; ++i) out[i] = (2 * i + 1) * total / (2 * count);
  return out;
}

// ---- folders -------------------------------------------------------------------------------

std::vector<std::string> find_image_files(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) throw InputError(dir + ": " + ec.message());
  for (const auto& entry : it) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.') continue;  // hidden files, e.g. macOS "._x.png"
    if (!io::is_image_file_name(name)) continue;
    if (!entry.is_regular_file(ec)) continue;
    names.push_back(entry.path().string());
  }
  std::sort(names.begin(), names.end());
  std::vector<std::string> readable;
  for (const auto& path : names) {
    try {
      io::read_image_info(path);
      readable.push_back(path);
    } catch (const InputError& e) {
      std::cerr << "warning: skipping " << e.what() << "\n";
    }
  }
  return readable;
}

std::vector<std::string> list_image_files(const std::string& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) throw InputError(dir + ": no such directory");
  if (!fs::is_directory(dir, ec)) throw InputError(dir + ": not a directory");
  std::vector<std::string> readable = find_image_files(dir);
  if (readable.empty()) throw InputError(dir + ": no readable images (.png, .jpg, .jpeg, .bmp) in this directory");
  return readable;
}

// ---- single images -------------------------------------------------------------------------

Tensor load_image_tensor(const std::string& path, int channels) {
  Image img = convert_channels(io::load_image(path), channels);
  const int H = img.height, W = img.width, C = img.channels;
  std::vector<float> chw(static_cast<size_t>(C) * H * W);
  for (int c = 0; c < C; ++c)
    for (int y = 0; y < H; ++y)
      for (int x = 0; x < W; ++x)
        chw[(static_cast<size_t>(c) * H + y) * W + x] = img.at(y, x, c) * 2.f - 1.f;
  return Tensor::from_vector(chw, Shape{1, C, H, W});
}

void save_image_tensor(const std::string& path, const Tensor& t, int bit_depth) {
  if (!((t.ndim() == 4 && t.size(0) == 1) || t.ndim() == 3))
    throw std::invalid_argument("save_image_tensor: expected [1, C, H, W] or [C, H, W], got " +
                                t.describe());
  const int o = t.ndim() - 3;
  const int C = static_cast<int>(t.size(o)), H = static_cast<int>(t.size(o + 1)),
            W = static_cast<int>(t.size(o + 2));
  if (C < 1 || C > 4) throw std::invalid_argument("save_image_tensor: 1..4 channels, got " + t.describe());
  std::vector<double> v;
  if (t.dtype() == DType::f64) {
    v = t.to_vector<double>();
  } else {
    auto f = t.to_vector<float>();
    v.assign(f.begin(), f.end());
  }
  Image img;
  img.width = W;
  img.height = H;
  img.channels = C;
  img.pixels.resize(v.size());
  for (int c = 0; c < C; ++c)
    for (int y = 0; y < H; ++y)
      for (int x = 0; x < W; ++x)
        img.pixels[(static_cast<size_t>(y) * W + x) * C + c] =
            static_cast<float>((v[(static_cast<size_t>(c) * H + y) * W + x] + 1.0) * 0.5);
  io::save_png(path, img, bit_depth);
}

}  // namespace gan::train
