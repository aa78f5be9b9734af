// Image files: PNG (8- and 16-bit), JPEG, BMP in (stb_image); PNG out, 8- or 16-bit, written
// atomically. Pixels are float in [0, 1], row-major, channels interleaved.
#pragma once
#include <string>
#include <vector>

namespace gan::io {

struct Image {
  int width = 0, height = 0, channels = 1;
  int bit_depth = 8;          // of the file it came from (8 or 16)
  std::vector<float> pixels;  // height * width * channels values in [0, 1]
  float at(int y, int x, int c = 0) const { return pixels[(static_cast<size_t>(y) * width + x) * channels + c]; }
};

// Loads an image file. Throws gan::InputError("<path>: <problem>") for a missing, unreadable,
// corrupt, truncated or oversized file.
Image load_image(const std::string& path);
// The same from a whole file's bytes in memory; `name` stands for the path in error messages.
Image decode_image(const std::string& bytes, const std::string& name);
// The size of an image file from its header only (cheap: no pixel decoding). Throws
// gan::InputError like load_image for an unreadable or oversized file.
struct ImageInfo {
  int width = 0, height = 0, channels = 0, bit_depth = 8;
};
ImageInfo read_image_info(const std::string& path);
// Limits (both load_image and read_image_info): per side, and in total. Besides, the decoded size
// (width * height * channels * bytes per sample) may be at most kMaxImageExpansion times the file
// size plus kMaxImageSmallDecode: no real PNG/JPEG/BMP compresses better than ~1000:1 (deflate's
// limit is 1032:1), so only a crafted header claims more, and it is refused before decoding.
constexpr int kMaxImageSide = 16384;
constexpr long long kMaxImagePixels = 1LL << 28;
constexpr long long kMaxImageExpansion = 2000;
constexpr long long kMaxImageSmallDecode = 64LL << 20;

// Luma (ITU-R BT.601 weights) of a 3/4-channel image; a 1/2-channel image keeps channel 0.
Image to_grayscale(const Image& img);
// Writes a PNG (values clamped to [0, 1]); bit_depth 8 or 16. Temp file + rename: an existing file
// at path is replaced only by a complete new one. Throws gan::InputError if path can't be written.
void save_png(const std::string& path, const Image& img, int bit_depth = 8);
// True for file names this loader reads (.png .jpg .jpeg .bmp, any case).
bool is_image_file_name(const std::string& path);

}  // namespace gan::io
