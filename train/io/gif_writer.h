// Animated grayscale GIF (giflib): e.g. the translation of one validation slice over training.
// 256-level gray palette, loops forever (NETSCAPE2.0 extension), written atomically.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "train/io/image_io.h"

namespace gan::io {

struct GrayFrame {
  int width = 0, height = 0;
  std::vector<uint8_t> pixels;  // height * width, row-major, 0 = black
};

// An image's luma (to_grayscale) quantised to 8 bits.
GrayFrame to_gray_frame(const Image& img);

// Writes the frames (all the same size, at least one) with `delay_cs` hundredths of a second
// between frames; loop = repeat forever. Throws std::invalid_argument for inconsistent frames,
// gan::InputError if the file can't be written.
void save_gif(const std::string& path, const std::vector<GrayFrame>& frames, int delay_cs = 20,
              bool loop = true);

}  // namespace gan::io
