#include "train/io/gif_writer.h"

#include <gif_lib.h>

#include <cmath>
#include <stdexcept>

#include "train/io/atomic_file.h"

namespace gan::io {
namespace {

int append_to_string(GifFileType* gif, const GifByteType* data, int n) {
  static_cast<std::string*>(gif->UserData)->append(reinterpret_cast<const char*>(data), n);
  return n;
}

[[noreturn]] void gif_fail(const char* what, int err) {
  const char* msg = GifErrorString(err);
  throw std::runtime_error(std::string("save_gif: ") + what + ": " + (msg ? msg : "giflib error"));
}

}  // namespace

GrayFrame to_gray_frame(const Image& img) {
  Image g = to_grayscale(img);
  GrayFrame f;
  f.width = g.width;
  f.height = g.height;
  f.pixels.resize(g.pixels.size());
  for (size_t i = 0; i < g.pixels.size(); ++i) {
    float v = g.pixels[i];
    v = std::isnan(v) ? 0.f : v < 0.f ? 0.f : v > 1.f ? 1.f : v;
    f.pixels[i] = static_cast<uint8_t>(std::lround(v * 255.f));
  }
  return f;
}

void save_gif(const std::string& path, const std::vector<GrayFrame>& frames, int delay_cs,
              bool loop) {
  if (frames.empty()) throw std::invalid_argument("save_gif: no frames");
  const int w = frames[0].width, h = frames[0].height;
  if (w <= 0 || h <= 0 || w > 65535 || h > 65535)
    throw std::invalid_argument("save_gif: frame size out of range");
  for (const auto& f : frames)
    if (f.width != w || f.height != h || f.pixels.size() != static_cast<size_t>(w) * h)
      throw std::invalid_argument("save_gif: all frames must be " + std::to_string(w) + "x" +
                                  std::to_string(h) + " with width*height pixels");
  if (delay_cs < 0 || delay_cs > 65535) throw std::invalid_argument("save_gif: bad delay");

  std::string bytes;
  int err = 0;
  GifFileType* gif = EGifOpen(&bytes, append_to_string, &err);
  if (!gif) gif_fail("open", err);
  // From here gif must be closed on every path.
  auto close_and_fail = [&](const char* what) {
    int e = gif->Error;
    EGifCloseFile(gif, &err);
    gif_fail(what, e);
  };
  EGifSetGifVersion(gif, true);
  GifColorType colors[256];
  for (int i = 0; i < 256; ++i) colors[i].Red = colors[i].Green = colors[i].Blue = static_cast<GifByteType>(i);
  ColorMapObject* palette = GifMakeMapObject(256, colors);
  if (!palette) close_and_fail("palette");
  int rc = EGifPutScreenDesc(gif, w, h, 8, 0, palette);
  GifFreeMapObject(palette);
  if (rc == GIF_ERROR) close_and_fail("screen descriptor");

  if (loop) {
    const GifByteType app[11] = {'N', 'E', 'T', 'S', 'C', 'A', 'P', 'E', '2', '.', '0'};
    const GifByteType sub[3] = {1, 0, 0};  // sub-block 1: loop count 0 = forever
    if (EGifPutExtensionLeader(gif, APPLICATION_EXT_FUNC_CODE) == GIF_ERROR ||
        EGifPutExtensionBlock(gif, 11, app) == GIF_ERROR ||
        EGifPutExtensionBlock(gif, 3, sub) == GIF_ERROR || EGifPutExtensionTrailer(gif) == GIF_ERROR)
      close_and_fail("loop extension");
  }
  for (const auto& f : frames) {
    GraphicsControlBlock gcb{};
    gcb.DisposalMode = DISPOSE_DO_NOT;
    gcb.DelayTime = delay_cs;
    gcb.TransparentColor = NO_TRANSPARENT_COLOR;
    GifByteType ext[4];
    size_t len = EGifGCBToExtension(&gcb, ext);
    if (EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, static_cast<int>(len), ext) == GIF_ERROR)
      close_and_fail("frame delay");
    if (EGifPutImageDesc(gif, 0, 0, w, h, false, nullptr) == GIF_ERROR) close_and_fail("frame");
    for (int y = 0; y < h; ++y) {
      auto* row = const_cast<GifPixelType*>(f.pixels.data() + static_cast<size_t>(y) * w);
      if (EGifPutLine(gif, row, w) == GIF_ERROR) close_and_fail("pixels");
    }
  }
  if (EGifCloseFile(gif, &err) == GIF_ERROR) gif_fail("close", err);
  write_file_atomic(path, bytes);
}

}  // namespace gan::io
