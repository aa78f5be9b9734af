// Writes the seed corpus of every fuzz target with the project's own writers:
//   fuzz_make_seeds OUT_DIR   ->  OUT_DIR/{image,nifti,safetensors,train_config,checkpoint,dicom}/...
// Valid files are the best starting points: the fuzzer mutates them into the near-misses
// (truncated data, wrong sizes, odd header fields) that a hand-written corpus would lack.
#include <gdcmImageChangeTransferSyntax.h>
#include <gdcmImageReader.h>
#include <gdcmItem.h>
#include <gdcmSequenceOfItems.h>
#include <gdcmWriter.h>
#include <zlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "core/tensor.h"
#include "train/io/atomic_file.h"
#include "train/checkpoint.h"
#include "train/io/dicom_io.h"
#include "train/io/image_io.h"
#include "train/io/nifti_io.h"
#include "train/io/safetensors.h"
#include "train/train_config.h"

namespace fs = std::filesystem;
using namespace gan;

namespace {

io::Image test_image(int w, int h, int channels) {
  io::Image img;
  img.width = w, img.height = h, img.channels = channels;
  img.pixels.resize(static_cast<size_t>(w) * h * channels);
  for (size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = 0.5f + 0.5f * std::sin(0.37f * i);
  return img;
}

void gzip_copy(const std::string& from, const std::string& to) {
  const std::string bytes = io::read_file(from);
  gzFile gz = gzopen(to.c_str(), "wb");
  gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(gz);
}

// Re-encodes a DICOM file in another transfer syntax (compressed, or implicit VR) with GDCM.
void dicom_copy(const std::string& from, const std::string& to, gdcm::TransferSyntax::TSType ts) {
  gdcm::ImageReader reader;
  reader.SetFileName(from.c_str());
  if (!reader.Read()) throw std::runtime_error(from + ": GDCM cannot read it");
  gdcm::ImageChangeTransferSyntax change;
  change.SetTransferSyntax(ts);
  change.SetInput(reader.GetImage());
  if (!change.Change()) throw std::runtime_error(to + ": GDCM cannot change the transfer syntax");
  gdcm::File& file = reader.GetFile();  // a File the writer may hold a reference to
  file.GetDataSet().Replace(change.GetOutput().GetDataElement());
  file.GetHeader().Clear();
  file.GetHeader().SetDataSetTransferSyntax(ts);
  gdcm::Writer writer;
  writer.SetFile(file);
  writer.SetFileName(to.c_str());
  if (!writer.Write()) throw std::runtime_error(to + ": GDCM cannot write it");
}

// Adds a sequence of undefined length with one item of undefined length (the nesting the
// structure walk must follow), as a ReferencedImageSequence.
void dicom_add_sequence(const std::string& path) {
  gdcm::Reader reader;
  reader.SetFileName(path.c_str());
  if (!reader.Read()) throw std::runtime_error(path + ": GDCM cannot read it");
  gdcm::Item item;
  item.SetVLToUndefined();
  gdcm::DataElement uid(gdcm::Tag(0x0008, 0x1155));
  uid.SetVR(gdcm::VR::UI);
  uid.SetByteValue("1.2.3.4", 8);
  item.GetNestedDataSet().Insert(uid);
  gdcm::SmartPointer<gdcm::SequenceOfItems> sq = new gdcm::SequenceOfItems;
  sq->SetLengthToUndefined();
  sq->AddItem(item);
  gdcm::DataElement de(gdcm::Tag(0x0008, 0x1140));
  de.SetVR(gdcm::VR::SQ);
  de.SetValue(*sq);
  de.SetVLToUndefined();
  reader.GetFile().GetDataSet().Insert(de);
  gdcm::Writer writer;
  writer.SetFile(reader.GetFile());
  writer.SetFileName(path.c_str());
  if (!writer.Write()) throw std::runtime_error(path + ": GDCM cannot write it");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: fuzz_make_seeds OUT_DIR\n";
    return 2;
  }
  const std::string out = argv[1];
  for (const char* d : {"image", "nifti", "safetensors", "train_config", "checkpoint", "dicom"})
    fs::create_directories(out + "/" + d);

  // Images: 8- and 16-bit PNG, gray, gray+alpha, RGB, RGBA; small, including non-square.
  int k = 0;
  for (int channels = 1; channels <= 4; ++channels)
    for (int depth : {8, 16})
      io::save_png(out + "/image/seed_" + std::to_string(k++) + ".png",
                   test_image(3 + channels, 5, channels), depth);
  io::save_png(out + "/image/seed_square.png", test_image(8, 8, 1), 8);

  // NIfTI: a small float32 volume with geometry, uncompressed and gzip'ed.
  io::Volume v;
  v.nx = 4, v.ny = 3, v.nz = 2;
  v.geometry.pixdim = {1, 1.5f, 1.5f, 3, 0, 0, 0, 0};
  v.geometry.qform_code = 1;
  v.geometry.quatern_d = 1;
  v.geometry.descrip = "seed";
  std::vector<float> vox(24);
  for (size_t i = 0; i < vox.size(); ++i) vox[i] = static_cast<float>(i) * 0.25f - 2;
  io::save_nifti(out + "/nifti/seed.nii", v, vox);
  gzip_copy(out + "/nifti/seed.nii", out + "/nifti/seed_gz.nii");  // .nii.gz bytes, name unused

  // DICOM: one 16x12 slice of a series, as written (explicit VR little endian), with a nested
  // sequence, in implicit VR, and in each compressed transfer syntax the loader decodes.
  {
    io::Volume d = v;
    d.nx = 16, d.ny = 12, d.nz = 1;  // OpenJPEG's encoder crashes (in GDCM) on 8x6
    std::vector<float> dvox(16 * 12);
    for (size_t i = 0; i < dvox.size(); ++i) dvox[i] = 100.f + 30.f * std::sin(0.5f * i);
    const std::string tmp = out + "/dicom_series.tmp";
    fs::remove_all(tmp);
    io::save_dicom_series(tmp, d, dvox, nullptr, {});
    const std::string slice = tmp + "/slice_0001.dcm";
    fs::copy_file(slice, out + "/dicom/seed.dcm");
    fs::copy_file(slice, out + "/dicom/seed_sequence.dcm");
    dicom_add_sequence(out + "/dicom/seed_sequence.dcm");
    const std::pair<const char*, gdcm::TransferSyntax::TSType> syntaxes[] = {
        {"implicit", gdcm::TransferSyntax::ImplicitVRLittleEndian},
        {"rle", gdcm::TransferSyntax::RLELossless},
        {"jpeg_lossless", gdcm::TransferSyntax::JPEGLosslessProcess14_1},
        {"jpeg_ls", gdcm::TransferSyntax::JPEGLSLossless},
        {"jpeg2000", gdcm::TransferSyntax::JPEG2000Lossless}};
    for (const auto& [name, ts] : syntaxes)
      dicom_copy(slice, out + "/dicom/seed_" + name + ".dcm", ts);
    fs::remove_all(tmp);
  }

  // safetensors: f32 and f64 tensors of several ranks, an empty one, metadata.
  io::save_safetensors(out + "/safetensors/seed.safetensors",
                       {{"w", Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3})},
                        {"b", Tensor::from_vector(std::vector<double>{0.5, -1}, {2})},
                        {"e", Tensor::zeros({0, 3})},
                        {"s", Tensor::from_vector(std::vector<float>{7}, {1, 1, 1, 1})}},
                       {{"format", "seed"}, {"note", "x"}});
  io::save_safetensors(out + "/safetensors/empty.safetensors", {});

  // Training configs: the defaults and a tiny resnet one.
  train::TrainConfig c;
  io::write_file_atomic(out + "/train_config/default.json", c.to_json());
  c.model.gen = "resnet";
  c.model.size = 64;
  c.model.ngf = 8;
  c.save_every_steps = 5;
  c.log_grad_norm = true;
  io::write_file_atomic(out + "/train_config/resnet.json", c.to_json());

  // A training checkpoint of the tiny model the checkpoint target loads into (unet 32, ngf 2).
  train::TrainConfig tc;
  tc.model.gen = "unet";
  tc.model.size = 32;
  tc.model.ngf = 2;
  tc.model.ndf = 2;
  models::CycleGAN nets(tc.model, 1);
  train::CycleGANStep step(nets, {}, {}, 4, 2);
  step.step(Tensor::zeros({1, 1, 32, 32}), Tensor::zeros({1, 1, 32, 32}));  // fills the pools
  train::TrainingPosition pos;
  pos.global_step = 1;
  pos.loader = {7, 0, 1};
  train::save_training_checkpoint(out + "/checkpoint/seed.safetensors", tc, nets, step, pos);
  std::cout << "seed corpus written to " << out << "\n";
  return 0;
}
