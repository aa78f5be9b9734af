#include <gif_lib.h>

#include <catch2/catch.hpp>

#include "tests/train/temp_dir.h"
#include "train/io/gif_writer.h"

using gan::testing::TempDir;
using namespace gan::io;

TEST_CASE("gif: GIF89a, looping, decodes to the same frames and delays", "[gif]") {
  TempDir dir;
  const int w = 13, h = 7;
  std::vector<GrayFrame> frames(3);
  for (int f = 0; f < 3; ++f) {
    frames[f].width = w;
    frames[f].height = h;
    frames[f].pixels.resize(w * h);
    for (int i = 0; i < w * h; ++i) frames[f].pixels[i] = static_cast<uint8_t>((i * 37 + f * 91) % 256);
  }
  const std::string path = dir.file("progress #1.gif");
  save_gif(path, frames, 25);
  std::string bytes = gan::testing::read_bytes(path);
  REQUIRE(bytes.size() > 6);
  CHECK(bytes.substr(0, 6) == "GIF89a");
  CHECK(bytes.find("NETSCAPE2.0") != std::string::npos);

  int err = 0;
  GifFileType* gif = DGifOpenFileName(path.c_str(), &err);
  REQUIRE(gif);
  REQUIRE(DGifSlurp(gif) == GIF_OK);
  CHECK(gif->SWidth == w);
  CHECK(gif->SHeight == h);
  REQUIRE(gif->ImageCount == 3);
  const ColorMapObject* map = gif->SColorMap;
  REQUIRE(map);
  for (int f = 0; f < 3; ++f) {
    const SavedImage& img = gif->SavedImages[f];
    const ColorMapObject* m = img.ImageDesc.ColorMap ? img.ImageDesc.ColorMap : map;
    for (int i = 0; i < w * h; ++i) {
      const GifColorType c = m->Colors[img.RasterBits[i]];
      CHECK(c.Red == frames[f].pixels[i]);
      CHECK(c.Green == c.Red);
      CHECK(c.Blue == c.Red);
    }
    GraphicsControlBlock gcb;
    REQUIRE(DGifSavedExtensionToGCB(gif, f, &gcb) == GIF_OK);
    CHECK(gcb.DelayTime == 25);
  }
  DGifCloseFile(gif, &err);

  Image img;
  img.width = 2;
  img.height = 1;
  img.channels = 1;
  img.pixels = {0.f, 1.f};
  GrayFrame g = to_gray_frame(img);
  CHECK(g.pixels == std::vector<uint8_t>{0, 255});
  CHECK_THROWS_AS(save_gif(path, {}), std::invalid_argument);
  CHECK_THROWS_AS(save_gif(path, {frames[0], g}), std::invalid_argument);
}
