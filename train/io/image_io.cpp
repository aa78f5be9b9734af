#include "train/io/image_io.h"

#include <stb_image.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "core/error.h"
#include "train/io/atomic_file.h"

namespace gan::io {
namespace {

constexpr int kMaxSide = kMaxImageSide;
constexpr int64_t kMaxPixels = kMaxImagePixels;

void check_size(const std::string& path, int w, int h) {
  if (w <= 0 || h <= 0 || w > kMaxSide || h > kMaxSide ||
      static_cast<int64_t>(w) * h > kMaxPixels)
    throw InputError(path + ": image size " + std::to_string(w) + "x" + std::to_string(h) +
                     " out of range (at most " + std::to_string(kMaxSide) + " px per side and " +
                     std::to_string(kMaxPixels) + " pixels)");
}

// A header that claims far more pixels than the file could hold (see kMaxImageExpansion).
void check_expansion(const std::string& path, int w, int h, int channels, bool sixteen,
                     int64_t file_bytes) {
  const int64_t decoded = static_cast<int64_t>(w) * h * channels * (sixteen ? 2 : 1);
  if (decoded > kMaxImageSmallDecode + kMaxImageExpansion * file_bytes)
    throw InputError(path + ": header claims " + std::to_string(w) + "x" + std::to_string(h) +
                     " pixels, more than a " + std::to_string(file_bytes) +
                     "-byte file can hold (corrupt or truncated)");
}

// stb's PNG decoder grows its IDAT buffer to each chunk's declared length before reading it,
// so a 100-byte file declaring a 1 GB chunk costs a 2 GB allocation. Every chunk must fit in the
// file: walked here, before stb sees the bytes.
void check_png_chunks(const std::string& path, const std::string& bytes) {
  static const char kSignature[8] = {'\x89', 'P', 'N', 'G', '\r', '\n', '\x1a', '\n'};
  if (bytes.size() < 8 || std::memcmp(bytes.data(), kSignature, 8) != 0) return;
  size_t at = 8;
  while (at + 8 <= bytes.size()) {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data() + at);
    const uint64_t length = (uint64_t(p[0]) << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
    const std::string type(bytes.data() + at + 4, 4);
    if (length + 12 > bytes.size() - at)
      throw InputError(path + ": PNG chunk '" + type + "' of " + std::to_string(length) +
                       " bytes runs past the end of the file (truncated or corrupt)");
    if (type == "IEND") return;
    at += 12 + length;
  }
}

// stb's JPEG decoder fills a 257-entry table from a Huffman table's 16 code counts without
// checking that they sum to at most 256: a crafted DHT segment writes past the table. The
// segments are walked here the way stb reads them (markers, then entropy-coded data up to the
// next marker) and such a table refused before stb sees the bytes.
void check_jpeg_huffman_tables(const std::string& path, const std::string& bytes) {
  const auto* b = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  size_t at = 0;
  while (at + 1 < n && b[at] == 0xFF && b[at + 1] == 0xFF) ++at;  // stb skips fill bytes here too
  if (at + 1 >= n || b[at] != 0xFF || b[at + 1] != 0xD8) return;
  at += 2;
  while (at + 1 < n) {
    if (b[at] != 0xFF || b[at + 1] == 0xFF) {  // entropy-coded data, or a fill byte
      ++at;
      continue;
    }
    const unsigned char marker = b[at + 1];
    if (marker == 0x00 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
      at += 2;  // stuffed 0xFF, TEM, restart markers: no length
      continue;
    }
    if (marker == 0xD9 || at + 3 >= n) return;  // EOI or no length left
    const size_t length = (size_t(b[at + 2]) << 8) | b[at + 3];
    if (marker == 0xC4) {
      const size_t end = at + 2 + length;
      for (size_t p = at + 4; p < end && p < n;) {  // tables: class/id, 16 counts, the symbols
        size_t codes = 0;
        for (size_t i = 1; i <= 16 && p + i < n; ++i) codes += b[p + i];
        if (codes > 256)
          throw InputError(path + ": corrupt JPEG (Huffman table with " + std::to_string(codes) +
                           " codes, at most 256)");
        p += 17 + codes;
      }
    }
    at += 2 + length;
  }
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// ---- PNG writer (8/16-bit; stb_image_write only does 8-bit) ------------------------------------

void put_u32(std::string& out, uint32_t v) {
  out.push_back(static_cast<char>(v >> 24));
  out.push_back(static_cast<char>(v >> 16));
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}

void put_chunk(std::string& out, const char type[4], const std::string& data) {
  put_u32(out, static_cast<uint32_t>(data.size()));
  std::string body(type, 4);
  body += data;
  out += body;
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()));
  put_u32(out, static_cast<uint32_t>(crc));
}

int paeth(int a, int b, int c) {
  int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

// Filters each scanline with the PNG filter (None/Sub/Up/Paeth) of the smallest sum of absolute
// values: the usual heuristic, and it makes smooth MRI slices compress far better than None.
std::string filter_scanlines(const std::vector<uint8_t>& raw, size_t row_bytes, int height,
                             int bytes_per_pixel) {
  std::string out;
  out.reserve((row_bytes + 1) * height);
  std::vector<uint8_t> zero(row_bytes, 0), cand[4];
  for (auto& c : cand) c.resize(row_bytes);
  for (int y = 0; y < height; ++y) {
    const uint8_t* cur = raw.data() + y * row_bytes;
    const uint8_t* up = y > 0 ? raw.data() + (y - 1) * row_bytes : zero.data();
    long best_sum = LONG_MAX;
    int best = 0;
    for (int f = 0; f < 4; ++f) {
      long sum = 0;
      for (size_t i = 0; i < row_bytes; ++i) {
        int a = i >= static_cast<size_t>(bytes_per_pixel) ? cur[i - bytes_per_pixel] : 0;
        int c = i >= static_cast<size_t>(bytes_per_pixel) ? up[i - bytes_per_pixel] : 0;
        int pred = f == 0 ? 0 : f == 1 ? a : f == 2 ? up[i] : paeth(a, up[i], c);
        uint8_t v = static_cast<uint8_t>(cur[i] - pred);
        cand[f][i] = v;
        sum += v < 128 ? v : 256 - v;
      }
      if (sum < best_sum) best_sum = sum, best = f;
    }
    out.push_back(static_cast<char>(best == 3 ? 4 : best));  // filter type codes: 0,1,2,4
    out.append(reinterpret_cast<const char*>(cand[best].data()), row_bytes);
  }
  return out;
}

std::string encode_png(const Image& img, int bit_depth) {
  static const int kColorType[5] = {0, 0, 4, 2, 6};  // gray, gray+alpha, RGB, RGBA
  const int bps = bit_depth / 8;
  const size_t row_bytes = static_cast<size_t>(img.width) * img.channels * bps;
  std::vector<uint8_t> raw(row_bytes * img.height);
  const float maxv = bit_depth == 16 ? 65535.f : 255.f;
  for (size_t i = 0; i < img.pixels.size(); ++i) {
    float v = img.pixels[i];
    v = std::isnan(v) ? 0.f : std::min(1.f, std::max(0.f, v));
    auto q = static_cast<uint32_t>(std::lround(v * maxv));
    if (bps == 2) {
      raw[2 * i] = static_cast<uint8_t>(q >> 8);  // PNG samples are big-endian
      raw[2 * i + 1] = static_cast<uint8_t>(q);
    } else {
      raw[i] = static_cast<uint8_t>(q);
    }
  }
  std::string filtered = filter_scanlines(raw, row_bytes, img.height, img.channels * bps);
  uLongf zsize = compressBound(static_cast<uLong>(filtered.size()));
  std::string z(zsize, '\0');
  if (compress2(reinterpret_cast<Bytef*>(&z[0]), &zsize,
                reinterpret_cast<const Bytef*>(filtered.data()),
                static_cast<uLong>(filtered.size()), 6) != Z_OK)
    throw std::runtime_error("save_png: zlib compression failed");
  z.resize(zsize);

  std::string ihdr;
  put_u32(ihdr, static_cast<uint32_t>(img.width));
  put_u32(ihdr, static_cast<uint32_t>(img.height));
  ihdr.push_back(static_cast<char>(bit_depth));
  ihdr.push_back(static_cast<char>(kColorType[img.channels]));
  ihdr.append(3, '\0');  // compression, filter method, no interlace

  std::string png("\x89PNG\r\n\x1a\n", 8);
  put_chunk(png, "IHDR", ihdr);
  put_chunk(png, "IDAT", z);
  put_chunk(png, "IEND", "");
  return png;
}

}  // namespace

Image load_image(const std::string& path) {
  // One read into memory; stb decodes from there (and the file size is bounded by int).
  return decode_image(read_file(path, size_t(INT_MAX)), path);
}

Image decode_image(const std::string& bytes, const std::string& path) {
  if (bytes.size() > static_cast<size_t>(INT_MAX))
    throw InputError(path + ": file too large for the image decoder");
  check_png_chunks(path, bytes);
  check_jpeg_huffman_tables(path, bytes);
  const auto* data = reinterpret_cast<const stbi_uc*>(bytes.data());
  const int len = static_cast<int>(bytes.size());
  int w = 0, h = 0, n = 0;
  if (!stbi_info_from_memory(data, len, &w, &h, &n))
    throw InputError(path + ": not a readable image (" + stbi_failure_reason() + ")");
  check_size(path, w, h);
  Image img;
  const bool sixteen = stbi_is_16_bit_from_memory(data, len) != 0;
  check_expansion(path, w, h, n, sixteen, len);
  if (sixteen) {
    std::unique_ptr<stbi_us, void (*)(void*)> px(
        stbi_load_16_from_memory(data, len, &img.width, &img.height, &img.channels, 0),
        stbi_image_free);
    if (!px) throw InputError(path + ": cannot decode (" + stbi_failure_reason() + ")");
    img.bit_depth = 16;
    size_t count = static_cast<size_t>(img.width) * img.height * img.channels;
    img.pixels.resize(count);
    for (size_t i = 0; i < count; ++i) img.pixels[i] = px.get()[i] / 65535.f;
  } else {
    std::unique_ptr<stbi_uc, void (*)(void*)> px(
        stbi_load_from_memory(data, len, &img.width, &img.height, &img.channels, 0),
        stbi_image_free);
    if (!px) throw InputError(path + ": cannot decode (" + stbi_failure_reason() + ")");
    img.bit_depth = 8;
    size_t count = static_cast<size_t>(img.width) * img.height * img.channels;
    img.pixels.resize(count);
    for (size_t i = 0; i < count; ++i) img.pixels[i] = px.get()[i] / 255.f;
  }
  return img;
}

ImageInfo read_image_info(const std::string& path) {
  // The whole file, not just its start: stb's header parse already reads JPEG Huffman tables,
  // which must pass check_jpeg_huffman_tables first. Slices are small; this is one read.
  const std::string bytes = read_file(path, size_t(INT_MAX));
  check_png_chunks(path, bytes);
  check_jpeg_huffman_tables(path, bytes);
  const auto* data = reinterpret_cast<const stbi_uc*>(bytes.data());
  const int len = static_cast<int>(bytes.size());
  ImageInfo info;
  if (!stbi_info_from_memory(data, len, &info.width, &info.height, &info.channels))
    throw InputError(path + ": not a readable image (" + stbi_failure_reason() + ")");
  info.bit_depth = stbi_is_16_bit_from_memory(data, len) ? 16 : 8;
  check_size(path, info.width, info.height);
  check_expansion(path, info.width, info.height, info.channels, info.bit_depth == 16, len);
  return info;
}

Image to_grayscale(const Image& img) {
  if (img.channels == 1) return img;
  Image out;
  out.width = img.width;
  out.height = img.height;
  out.channels = 1;
  out.bit_depth = img.bit_depth;
  const size_t n = static_cast<size_t>(img.width) * img.height;
  out.pixels.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const float* p = &img.pixels[i * img.channels];
    out.pixels[i] = img.channels >= 3 ? 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2] : p[0];
  }
  return out;
}

void save_png(const std::string& path, const Image& img, int bit_depth) {
  if (bit_depth != 8 && bit_depth != 16)
    throw std::invalid_argument("save_png: bit_depth must be 8 or 16, got " +
                                std::to_string(bit_depth));
  if (img.channels < 1 || img.channels > 4 || img.width <= 0 || img.height <= 0 ||
      img.pixels.size() != static_cast<size_t>(img.width) * img.height * img.channels)
    throw std::invalid_argument("save_png: inconsistent image " + std::to_string(img.width) + "x" +
                                std::to_string(img.height) + "x" + std::to_string(img.channels) +
                                " with " + std::to_string(img.pixels.size()) + " values");
  write_file_atomic(path, encode_png(img, bit_depth));
}

bool is_image_file_name(const std::string& path) {
  size_t slash = path.find_last_of('/');
  size_t dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return false;
  std::string ext = lower(path.substr(dot));
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp";
}

}  // namespace gan::io
