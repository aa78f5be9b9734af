// gan_infer: applies one generator of a gan_train checkpoint.
//   gan_infer --checkpoint RUN/checkpoints/latest.safetensors --direction t1-to-t2
//             --input PATH --output PATH [--device cpu|cuda]
// PATH is one image (PNG/JPEG/BMP; written as PNG of the input's bit depth), a folder of images
// (the output folder gets the same file names, with the extension .png), or a NIfTI volume
// (.nii/.nii.gz): every axial slice is translated and the output volume keeps the input's dims,
// voxel sizes, qform/sform and units. Volume intensities are mapped to [-1, 1] by robust
// per-volume percentiles (0.5 and 99.5 of the non-zero voxels; clipped outside) and mapped back
// with the same two numbers. Inputs of any size are padded at the right and bottom with -1 (black,
// the background of a scan) to a multiple of the network's stride and cropped back afterwards.
// Errors in the input print one line "gan_infer: error: ..." and exit with code 2.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>
#include <iostream>

#include "core/autograd.h"
#include "core/device.h"
#include "core/error.h"
#include "train/checkpoint.h"
#include "train/data/dataset.h"
#include "train/io/image_io.h"
#include "train/io/nifti_io.h"

namespace fs = std::filesystem;
using gan::Tensor;

namespace {

struct Translator {
  std::shared_ptr<gan::nn::Module> net;
  gan::models::ModelConfig config;
  gan::Device device = gan::Device::cpu;

  // x: [C, H, W] values in [-1, 1], row-major. Returns the same layout.
  std::vector<float> apply(const std::vector<float>& x, int c, int h, int w) const {
    int stride = gan::models::generator_stride(config);
    int min_side = config.gen == "resnet" ? 16 : stride;
    int ph = std::max(min_side, (h + stride - 1) / stride * stride);
    int pw = std::max(min_side, (w + stride - 1) / stride * stride);
    std::vector<float> padded(static_cast<size_t>(c) * ph * pw, -1.f);
    for (int k = 0; k < c; ++k)
      for (int y = 0; y < h; ++y)
        std::copy_n(&x[(static_cast<size_t>(k) * h + y) * w], w,
                    &padded[(static_cast<size_t>(k) * ph + y) * pw]);
    gan::NoGradGuard no_grad;
    Tensor in = Tensor::from_vector(padded, {1, c, ph, pw}).to(device);
    std::vector<float> out = (*net)(in).to_vector<float>();
    std::vector<float> y(x.size());
    for (int k = 0; k < c; ++k)
      for (int r = 0; r < h; ++r)
        std::copy_n(&out[(static_cast<size_t>(k) * ph + r) * pw], w,
                    &y[(static_cast<size_t>(k) * h + r) * w]);
    return y;
  }
};

void translate_image(const Translator& t, const std::string& in, const std::string& out) {
  gan::io::Image img = gan::train::convert_channels(gan::io::load_image(in), t.config.channels);
  const int c = img.channels, h = img.height, w = img.width;
  std::vector<float> chw(img.pixels.size());
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int k = 0; k < c; ++k)
        chw[(static_cast<size_t>(k) * h + y) * w + x] = img.at(y, x, k) * 2.f - 1.f;
  std::vector<float> res = t.apply(chw, c, h, w);
  gan::train::save_image_tensor(out, Tensor::from_vector(res, {1, c, h, w}), img.bit_depth);
}

void translate_volume(const Translator& t, const std::string& in, const std::string& out) {
  if (!gan::io::is_nifti_file_name(out))
    throw gan::InputError(out + ": output of a NIfTI input must end in .nii or .nii.gz");
  if (t.config.channels != 1)
    throw gan::InputError(in + ": volumes need a 1-channel model (this one has 3)");
  gan::io::Volume v = gan::io::load_nifti(in);
  if (v.nonfinite_voxels)
    std::cerr << "warning: " << in << ": " << v.nonfinite_voxels
              << " non-finite voxels (NaN or infinite) read as 0\n";
  std::vector<float> fg;
  for (float x : v.voxels)
    if (x != 0.f) fg.push_back(x);
  float lo = 0.f, hi = 1.f;
  if (!fg.empty()) {
    auto pct = [&](double q) {
      size_t k = static_cast<size_t>(q * (fg.size() - 1));
      std::nth_element(fg.begin(), fg.begin() + k, fg.end());
      return fg[k];
    };
    lo = pct(0.005);
    hi = pct(0.995);
    if (!(hi > lo)) hi = lo + 1.f;
  }
  const size_t plane = static_cast<size_t>(v.nx) * v.ny;
  std::vector<float> result(v.voxels.size());
  std::vector<float> slice(plane);
  for (int z = 0; z < v.nz; ++z) {
    for (size_t i = 0; i < plane; ++i)
      slice[i] = std::clamp((v.voxels[z * plane + i] - lo) / (hi - lo) * 2.f - 1.f, -1.f, 1.f);
    std::vector<float> y = t.apply(slice, 1, v.ny, v.nx);
    for (size_t i = 0; i < plane; ++i) result[z * plane + i] = (y[i] + 1.f) * 0.5f * (hi - lo) + lo;
    std::cerr << "\rslice " << z + 1 << "/" << v.nz << std::flush;
  }
  std::cerr << "\n";
  gan::io::save_nifti(out, v, result);
}

void translate_folder(const Translator& t, const std::string& in, const std::string& out) {
  std::vector<std::string> files = gan::train::list_image_files(in);
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec || !fs::is_directory(out))
    throw gan::InputError(out + ": cannot create output folder" + (ec ? ": " + ec.message() : ""));
  for (size_t i = 0; i < files.size(); ++i) {
    fs::path name = fs::path(files[i]).filename();
    name.replace_extension(".png");
    translate_image(t, files[i], (fs::path(out) / name).string());
    std::cerr << "\r" << i + 1 << "/" << files.size() << " images" << std::flush;
  }
  std::cerr << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::string checkpoint, direction, input, output, device = "cpu", conv_math = "fp32";
  CLI::App app{"Translate MRI slices or volumes with a trained CycleGAN generator."};
  app.add_option("--checkpoint", checkpoint, "Checkpoint written by gan_train")->required();
  app.add_option("--direction", direction, "t1-to-t2 (G_AB) or t2-to-t1 (G_BA)")
      ->required()
      ->check(CLI::IsMember({"t1-to-t2", "t2-to-t1"}));
  app.add_option("--input", input, "Image, folder of images, or NIfTI volume (.nii/.nii.gz)")
      ->required();
  app.add_option("--output", output, "Image file, folder, or NIfTI volume (as the input)")
      ->required();
  app.add_option("--device", device, "cpu or cuda")->capture_default_str();
  app.add_option("--conv-math", conv_math,
                 "cuda convolutions: fp32, or tf32 (tensor cores, inputs rounded to 10 mantissa bits)")
      ->check(CLI::IsMember({"fp32", "tf32"}))
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help
  } catch (const CLI::ParseError& e) {
    std::cerr << "gan_infer: error: " << e.what() << " (see --help)\n";
    return 2;
  }

  try {
    if (device != "cpu" && device != "cuda")
      throw std::invalid_argument("--device must be cpu or cuda, got '" + device + "'");
    gan::device::set_conv_math(conv_math);
    Translator t;
    if (device == "cuda") {
      gan::device::require_cuda("--device cuda");
      t.device = gan::Device::cuda;
    }
    if (!fs::exists(input)) throw gan::InputError(input + ": no such file or folder (--input)");
    t.net = gan::train::load_generator(checkpoint, direction == "t1-to-t2" ? "G_AB" : "G_BA",
                                       &t.config);
    t.net->to(t.device);
    if (fs::is_directory(input)) {
      translate_folder(t, input, output);
    } else if (gan::io::is_nifti_file_name(input)) {
      translate_volume(t, input, output);
    } else {
      translate_image(t, input, output);
    }
  } catch (const gan::InputError& e) {
    std::cerr << "gan_infer: error: " << e.what() << "\n";
    return 2;
  } catch (const std::invalid_argument& e) {
    std::cerr << "gan_infer: error: " << e.what() << "\n";
    return 2;
  } catch (const std::runtime_error& e) {
    std::cerr << "gan_infer: error: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
