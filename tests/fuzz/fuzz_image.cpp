// libFuzzer target: image decoding (stb through decode_image) and the training transform
// (grayscale/RGB conversion, pad to square, resize, crop, flip).
#include <cstdint>
#include <string>

#include "core/error.h"
#include "core/rng.h"
#include "train/data/dataset.h"
#include "train/io/image_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    gan::io::Image img = gan::io::decode_image(bytes, "fuzz");
    gan::io::Image gray = gan::io::to_grayscale(img);
    (void)gray;
    // The transform only for images of modest size: it pads to a square first, and this target
    // is about the decoder; the per-image limits are the decoder's.
    if (static_cast<long long>(img.width) * img.height <= 1 << 16 && img.width <= 1024 &&
        img.height <= 1024) {
      gan::Rng rng(size);
      gan::train::ImageTransform t;
      t.load_size = 36;
      t.crop_size = 32;
      t.channels = img.channels >= 3 ? 3 : 1;
      t.train = (size & 1) != 0;
      std::vector<float> px = gan::train::transform_image(img, t, rng);
      if (px.size() != static_cast<size_t>(t.channels) * 32 * 32) __builtin_trap();
    }
  } catch (const gan::InputError&) {
  }
  return 0;
}
