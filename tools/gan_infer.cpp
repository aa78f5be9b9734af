// gan_infer: applies one generator of a gan_train checkpoint.
//   gan_infer --checkpoint RUN/checkpoints/latest.safetensors --direction t1-to-t2
//             --input PATH --output PATH [--device cpu|cuda] [--slice-axis axial]
// PATH is one of:
//   - an image (PNG/JPEG/BMP; written as PNG of the input's bit depth), or a folder of images (the
//     output folder gets the same file names, with the extension .png);
//   - a NIfTI volume (.nii/.nii.gz), or a folder holding one DICOM series: every slice along
//     --slice-axis (in the patient's frame, whatever the storage order; train/data/volume_slices.h)
//     is translated. The output is a NIfTI volume (--output ends in .nii or .nii.gz) with the
//     input's dims, voxel sizes, qform/sform and units, or a DICOM series (--output is a folder:
//     new series and instance UIDs, the source's patient, study and geometry);
//   - a folder of NIfTI volumes: each translated into --output (a folder) under its own name.
// Volume intensities are mapped to [0, 1] by the per-volume window the training data uses
// (train/data/intensity.h), and mapped back with the same two numbers. Pixels that are not square
// are resampled to square ones for the network and back. Inputs of any size are padded at the
// right and bottom with -1 (black, the background of a scan) to a multiple of the network's stride
// and cropped back afterwards.
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
#include "train/data/domain_data.h"
#include "train/data/intensity.h"
#include "train/data/volume_slices.h"
#include "train/io/dicom_io.h"
#include "train/io/image_io.h"
#include "train/io/nifti_io.h"
#include "train/report/progress.h"
#include "tools/parse_command_line.h"

namespace fs = std::filesystem;
using gan::Tensor;

namespace {

struct Translator {
  std::shared_ptr<gan::nn::Module> net;
  gan::models::ModelConfig config;
  gan::Device device = gan::Device::cpu;
  gan::train::SliceAxis axis = gan::train::SliceAxis::axial;

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

// Every slice of v along t.axis, translated; the result is in v's voxel grid.
std::vector<float> translate_voxels(const Translator& t, const gan::io::Volume& v, const std::string& name) {
  if (t.config.channels != 1)
    throw gan::InputError(name + ": volumes need a 1-channel model (this one has 3)");
  if (v.nonfinite_voxels)
    std::cerr << "warning: " << name << ": " << v.nonfinite_voxels
              << " non-finite voxels (NaN or infinite) read as 0\n";
  const gan::train::IntensityWindow window = gan::train::robust_window(v.voxels);
  gan::train::SlicePlan plan;
  try {
    plan = gan::train::plan_slices(v, t.axis);
  } catch (const std::invalid_argument& e) {
    throw gan::InputError(name + ": " + e.what());
  }
  std::vector<float> result(v.voxels.size());
  gan::train::Progress progress(std::cerr, name + ": " + gan::train::slice_axis_name(t.axis) + " slice",
                                "slices", plan.count, gan::train::is_terminal(std::cerr));
  for (int k = 0; k < plan.count; ++k) {
    gan::io::Image img = gan::train::to_square_pixels(gan::train::normalised_slice(v, plan, k, window), plan);
    std::vector<float> x(img.pixels.size());
    for (size_t i = 0; i < x.size(); ++i) x[i] = img.pixels[i] * 2.f - 1.f;
    std::vector<float> y = t.apply(x, 1, img.height, img.width);
    for (size_t i = 0; i < y.size(); ++i) img.pixels[i] = (y[i] + 1.f) * 0.5f;
    img = gan::train::from_square_pixels(img, plan);
    for (float& u : img.pixels) u = window.from_unit(u);
    gan::train::insert_slice(result, plan, k, img.pixels);
    progress.update(k + 1);
  }
  progress.finish();
  return result;
}

void write_volume(const std::string& out, const gan::io::Volume& v, const std::vector<float>& voxels,
                  const gan::io::DicomSeriesFiles* source) {
  if (gan::io::is_nifti_file_name(out)) {
    gan::io::save_nifti(out, v, voxels);
  } else {
    gan::io::DicomWriteOptions options;
    options.series_description = "gan_infer translation";
    gan::io::save_dicom_series(out, v, voxels, source, options);
  }
}

void translate_nifti(const Translator& t, const std::string& in, const std::string& out) {
  const gan::io::Volume v = gan::io::load_nifti(in);
  write_volume(out, v, translate_voxels(t, v, in), nullptr);
}

void translate_dicom(const Translator& t, const gan::io::DicomSeriesFiles& series, const std::string& out) {
  const gan::io::Volume v = gan::io::load_dicom_series(series);
  write_volume(out, v, translate_voxels(t, v, series.folder), &series);
}

void make_folder(const std::string& out) {
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec || !fs::is_directory(out))
    throw gan::InputError(out + ": cannot create output folder" + (ec ? ": " + ec.message() : ""));
}

// Each NIfTI volume of `in` into `out` under the same name.
void translate_nifti_folder(const Translator& t, const std::vector<std::string>& volumes, const std::string& out) {
  make_folder(out);
  for (const std::string& in : volumes) translate_nifti(t, in, (fs::path(out) / fs::path(in).filename()).string());
}

// The images `files` of folder `in` into `out`, as PNG files of the same names.
void translate_folder(const Translator& t, const std::string& in, const std::vector<std::string>& files,
                      const std::string& out) {
  make_folder(out);
  gan::train::Progress progress(std::cerr, in + ": image", "images", static_cast<int64_t>(files.size()),
                                gan::train::is_terminal(std::cerr));
  for (size_t i = 0; i < files.size(); ++i) {
    fs::path name = fs::path(files[i]).filename();
    name.replace_extension(".png");
    translate_image(t, files[i], (fs::path(out) / name).string());
    progress.update(static_cast<int64_t>(i + 1));
  }
  progress.finish();
}

}  // namespace

int main(int argc, char** argv) {
  std::string checkpoint, direction, input, output, device = "cpu", conv_math = "fp32";
  CLI::App app{"Translate MRI slices or volumes with a trained CycleGAN generator."};
  app.add_option("--checkpoint", checkpoint, "Checkpoint written by gan_train")->required();
  app.add_option("--direction", direction, "t1-to-t2 (G_AB) or t2-to-t1 (G_BA)")
      ->required()
      ->check(CLI::IsMember({"t1-to-t2", "t2-to-t1"}));
  app.add_option("--input", input,
                 "Image, folder of images, NIfTI volume (.nii/.nii.gz), folder of NIfTI volumes, or "
                 "folder of one DICOM series")
      ->required();
  app.add_option("--output", output,
                 "Image file or folder (image input); .nii/.nii.gz file or DICOM series folder "
                 "(volume input); folder (folder of volumes)")
      ->required();
  app.add_option("--device", device, "cpu or cuda")->capture_default_str();
  std::string slice_axis = "axial";
  app.add_option("--slice-axis", slice_axis,
                 "Volumes: translate slices along this body axis (the one the model was trained "
                 "on): axial, coronal or sagittal")
      ->capture_default_str();
  app.add_option("--conv-math", conv_math,
                 "cuda convolutions: fp32, or tf32 (tensor cores, inputs rounded to 10 mantissa bits)")
      ->check(CLI::IsMember({"fp32", "tf32"}))
      ->capture_default_str();
  if (const int rc = gan::tools::parse_command_line(app, "gan_infer", argc, argv); rc >= 0)
    return rc;

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
    t.axis = gan::train::parse_slice_axis(slice_axis);
    if (fs::is_directory(input)) {
      // What the folder holds decides: images, a DICOM series, or NIfTI volumes.
      const std::vector<std::string> images = gan::train::find_image_files(input);
      const std::vector<gan::io::DicomSeriesFiles> series =
          images.empty() ? gan::io::find_dicom_series(input) : std::vector<gan::io::DicomSeriesFiles>{};
      const std::vector<std::string> volumes = gan::train::find_nifti_files(input);
      if (!images.empty()) {
        translate_folder(t, input, images, output);
      } else if (series.size() == 1) {
        translate_dicom(t, series[0], output);
      } else if (series.size() > 1) {
        throw gan::InputError(input + ": " + std::to_string(series.size()) +
                              " DICOM series in this folder; give the folder of one series");
      } else if (!volumes.empty()) {
        if (gan::io::is_nifti_file_name(output))
          throw gan::InputError(output + ": the input is a folder of volumes, so --output must be a folder");
        translate_nifti_folder(t, volumes, output);
      } else {
        throw gan::InputError(input + ": no images, NIfTI volumes or DICOM series in this folder");
      }
    } else if (gan::io::is_nifti_file_name(input)) {
      translate_nifti(t, input, output);
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
