// Tiny training data for the trainer tests: A/<i>.png (40x40 patterns, i = 0, 1, 2) and
// B/<i>.png, each the negative of A's image of the same name (so the folders are also paired).
#pragma once
#include <filesystem>
#include <string>

#include "train/io/image_io.h"

namespace gan::testing {

inline std::string make_pattern_pairs(const std::string& root) {
  namespace fs = std::filesystem;
  for (const char* d : {"A", "B"}) fs::create_directories(root + "/" + d);
  for (int i = 0; i < 3; ++i) {
    io::Image img;
    img.width = img.height = 40;
    img.pixels.resize(40 * 40);
    for (int p = 0; p < 40 * 40; ++p) img.pixels[p] = float((p * (i + 3)) % 97) / 96.f;
    io::save_png(root + "/A/" + std::to_string(i) + ".png", img);
    for (float& v : img.pixels) v = 1.f - v;
    io::save_png(root + "/B/" + std::to_string(i) + ".png", img);
  }
  return root;
}

}  // namespace gan::testing
