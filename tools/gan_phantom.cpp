// gan_phantom: writes the built-in MRI phantom data set (trainA/ trainB/ testA/ testB/ folders of
// PNG slices, of NIfTI volumes with --format nifti, or of DICOM series with --format dicom); with
// --paired trainA/ and trainB/ hold the same subjects (for gan_train --mode pix2pix).
// docs/phantom.md describes the anatomy, the tissue parameters and the protocols.
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "core/error.h"
#include "train/phantom/phantom.h"
#include "train/phantom/phantom_volume.h"
#include "tools/parse_command_line.h"

namespace {

void print_summary(const gan::train::PhantomOptions& o, const gan::train::PhantomSummary& s) {
  const char* pairing = o.paired ? "paired: the same subjects" : "disjoint subjects";
  if (o.format != gan::train::PhantomFormat::png) {
    gan::train::VoxelSize v = gan::train::phantom_voxel_size(o);
    std::printf("gan_phantom: wrote %d volumes (%dx%dx%d, voxel %.3fx%.3fx%.3f mm, %s): trainA %d + trainB %d "
                "(%s), testA/testB %d paired, to %s in %.2f s\n",
                s.files, o.size, o.size, o.slices, v.dx, v.dy, v.dz,
                o.format == gan::train::PhantomFormat::dicom ? "DICOM series, int16 + rescale" : "NIfTI, float32",
                o.subjects, o.subjects, pairing, o.test_subjects,
                o.out.c_str(), s.seconds);
    return;
  }
  std::printf("gan_phantom: wrote %d slices (%dx%d, %d-bit): trainA %d + trainB %d (%s), "
              "testA/testB %d paired, to %s in %.2f s\n",
              s.files, o.size, o.size, o.bit_depth, o.subjects * o.slices, o.subjects * o.slices, pairing,
              o.test_subjects * o.slices, o.out.c_str(), s.seconds);
}

}  // namespace

int main(int argc, char** argv) {
  gan::train::PhantomOptions o;
  std::string montage, format = "png";
  int montage_columns = 4;
  CLI::App app{"Writes a synthetic T1w/T2w MRI head phantom: trainA (T1w) and trainB (T2w) from disjoint "
               "subjects (or the same ones with --paired), testA/testB paired (same subjects and slices, "
               "same file names)."};
  app.add_option("--out", o.out, "Output folder (receives trainA/ trainB/ testA/ testB/)")->required();
  app.add_option("--subjects", o.subjects, "Training subjects per domain")->capture_default_str();
  app.add_option("--test-subjects", o.test_subjects, "Paired test subjects")->capture_default_str();
  app.add_option("--slices", o.slices, "Axial slices per subject")->capture_default_str();
  app.add_option("--size", o.size, "Image side in pixels")->capture_default_str();
  app.add_option("--seed", o.seed, "Random seed (the output is a deterministic function of it)")->capture_default_str();
  app.add_option("--noise", o.noise, "Rician noise sigma as a fraction of full scale (0 = none)")->capture_default_str();
  app.add_option("--bias", o.bias, "Bias field amplitude (0 = none)")->capture_default_str();
  app.add_flag("--paired", o.paired,
               "trainA and trainB from the same subjects and slices, same file names (for gan_train "
               "--mode pix2pix); default: disjoint subjects");
  app.add_option("--format", format,
                 "png: one 2-D PNG file per slice; nifti: one 3-D .nii.gz volume per subject and contrast; "
                 "dicom: one DICOM series (a folder of slice files) per subject and contrast")
      ->capture_default_str();
  app.add_option("--bit-depth", o.bit_depth, "PNG bit depth: 8 or 16")->capture_default_str();
  app.add_option("--supersample", o.supersample, "Partial-volume supersampling per pixel side")->capture_default_str();
  app.add_option("--montage", montage, "Also write an 8-bit PNG montage (T1w row over T2w row) to this file");
  app.add_option("--montage-columns", montage_columns, "Paired slices in the montage")->capture_default_str();
  if (const int rc = gan::tools::parse_command_line(app, "gan_phantom", argc, argv); rc >= 0)
    return rc;
  try {
    o.format = gan::train::parse_phantom_format(format);
    gan::train::PhantomSummary s = gan::train::write_phantom_dataset(o);
    print_summary(o, s);
    if (s.stale_files > 0)
      std::fprintf(stderr, "gan_phantom: warning: %d other %s files already in the folders under %s\n",
                   s.stale_files, o.format == gan::train::PhantomFormat::png ? "image" : "NIfTI", o.out.c_str());
    if (!montage.empty()) {
      gan::io::save_png(montage, gan::train::phantom_montage(o, montage_columns), 8);
      std::printf("gan_phantom: montage %s\n", montage.c_str());
    }
  } catch (const gan::InputError& e) {
    std::fprintf(stderr, "gan_phantom: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gan_phantom: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
