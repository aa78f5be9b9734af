// gan_eval: scores translated MRI slices or volumes. Paired (--pred --target [--input]): PSNR, SSIM,
// MAE per image and mean, whole slice and foreground, and with --input the structure score edge_corr
// of the predictions and of the real targets against the inputs; with NIfTI files (or folders of
// them) per volume, mean over volumes and pooled (volume mode, train/eval/volume_report.h).
// Unpaired (--input --translated --reconstructed --real-target): cycle-consistency PSNR/SSIM/MAE,
// edge_corr of the translations, and the Wasserstein distance between foreground intensity
// distributions. docs/evaluation.md describes the conventions.
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "core/error.h"
#include "train/io/atomic_file.h"
#include "train/eval/metrics_report.h"
#include "train/eval/volume_report.h"
#include "tools/parse_command_line.h"

namespace {

// PSNR capped at kPsnrCap as in the reports (a pooled PSNR of identical data is infinite).
void print_mean(const char* what, gan::train::ImageMetrics m, size_t count, const char* unit = "images") {
  for (double* psnr : {&m.psnr, &m.psnr_fg})
    if (*psnr > gan::train::kPsnrCap) *psnr = gan::train::kPsnrCap;
  std::printf("gan_eval: %s over %zu %s: PSNR %.2f dB, SSIM %.4f, MAE %.4f | foreground: PSNR %.2f dB, SSIM %.4f, MAE %.4f\n",
              what, count, unit, m.psnr, m.ssim, m.mae, m.psnr_fg, m.ssim_fg, m.mae_fg);
}

// The structure scores of a paired report with an input.
void print_edges(const char* what, const gan::train::ImageMetrics& m, size_t count, const char* unit = "images") {
  std::printf("gan_eval: %s over %zu %s: edge_corr with the input (foreground Sobel gradient magnitudes): "
              "prediction %.4f | real target %.4f (the value a true image of the target contrast reaches)\n",
              what, count, unit, m.edge_corr, m.edge_corr_target);
}

}  // namespace

int main(int argc, char** argv) {
  std::string pred, target, input, translated, reconstructed, real_target, json_path, csv_path;
  CLI::App app{"Scores translated MRI slices (PNG folders, values read as [0, 1]) or volumes (NIfTI files or "
               "folders, each pair mapped to [0, 1] by the target's robust intensity window); data range 1."};
  app.add_option("--pred", pred, "Paired mode: folder of predicted images, or a NIfTI volume or folder of them");
  app.add_option("--target", target, "Paired mode: folder of target images (same file names), or NIfTI volume(s)");
  app.add_option("--input", input,
                 "Unpaired mode: folder of input images. Paired mode (optional): the inputs the predictions "
                 "were translated from (same names; NIfTI in volume mode), for the structure score edge_corr");
  app.add_option("--translated", translated, "Unpaired mode: folder of translated images");
  app.add_option("--reconstructed", reconstructed, "Unpaired mode: folder of reconstructions (same names as --input)");
  app.add_option("--real-target", real_target, "Unpaired mode: folder of real images of the target domain");
  std::string baseline = "none";
  app.add_option("--baseline", baseline,
                 "Paired mode: score a trivial baseline made from --pred: none, or invert (1 - x "
                 "inside the foreground)")
      ->check(CLI::IsMember({"none", "invert"}))
      ->capture_default_str();
  app.add_option("--json", json_path, "Write the report as JSON to this file");
  app.add_option("--csv", csv_path, "Write per-image metrics as CSV to this file");
  if (const int rc = gan::tools::parse_command_line(app, "gan_eval", argc, argv); rc >= 0)
    return rc;
  // --input belongs to both modes: the other flags decide.
  const bool paired = !pred.empty() || !target.empty();
  const bool unpaired = !translated.empty() || !reconstructed.empty() || !real_target.empty();
  try {
    if (paired == unpaired) {
      throw gan::InputError("give either --pred and --target (paired) or --input --translated --reconstructed "
                            "--real-target (unpaired)");
    }
    nlohmann::json report;
    std::string csv;
    if (paired) {
      if (pred.empty() || target.empty()) throw gan::InputError(pred.empty() ? "--pred: required with --target" : "--target: required with --pred");
      const auto transform =
          baseline == "invert" ? gan::train::PredTransform::invert : gan::train::PredTransform::none;
      const bool pred_volumes = gan::train::is_volume_input(pred), target_volumes = gan::train::is_volume_input(target);
      if (pred_volumes != target_volumes) {
        throw gan::InputError("--pred " + pred + " is " + (pred_volumes ? "NIfTI volumes" : "image slices") +
                              " but --target " + target + " is " + (target_volumes ? "NIfTI volumes" : "image slices") +
                              ": give both of one kind");
      }
      if (!input.empty() && gan::train::is_volume_input(input) != pred_volumes) {
        throw gan::InputError("--input " + input + " is " + (pred_volumes ? "not NIfTI volumes" : "NIfTI volumes") +
                              " but --pred " + pred + " is " + (pred_volumes ? "NIfTI volumes" : "image slices") +
                              ": give all of one kind");
      }
      if (pred_volumes) {
        gan::train::VolumeReport r = gan::train::evaluate_paired_volumes(pred, target, transform, input);
        print_mean("paired, mean", r.paired.mean, r.paired.images.size(), "volumes");
        print_mean("paired, pooled", r.pooled, r.paired.images.size(), "volumes");
        if (!input.empty()) print_edges("pooled", r.pooled, r.paired.images.size(), "volumes");
        report = gan::train::to_json(r);
        csv = gan::train::to_csv(r.paired.images, r.paired.mean, r.paired.edge_columns());
      } else {
        gan::train::PairedReport r = gan::train::evaluate_paired(pred, target, transform, input);
        print_mean("paired", r.mean, r.images.size());
        if (!input.empty()) print_edges("paired", r.mean, r.images.size());
        report = gan::train::to_json(r);
        csv = gan::train::to_csv(r.images, r.mean, r.edge_columns());
      }
    } else {
      for (auto [flag, value] : {std::pair{"--input", &input}, {"--translated", &translated},
                                 {"--reconstructed", &reconstructed}, {"--real-target", &real_target}}) {
        if (value->empty()) throw gan::InputError(std::string(flag) + ": required in unpaired mode");
      }
      gan::train::UnpairedReport r = gan::train::evaluate_unpaired(input, translated, reconstructed, real_target);
      print_mean("cycle consistency (reconstructed vs input)", r.cycle_mean, r.cycle.size());
      std::printf("gan_eval: translated vs input over %zu images: edge_corr %.4f (foreground Sobel gradient "
                  "magnitudes; 1 = the input's edges kept with their relative strength)\n",
                  r.cycle.size(), r.cycle_mean.edge_corr);
      std::printf("gan_eval: Wasserstein-1 distance of foreground intensities, translated (%d images) vs real target "
                  "(%d images): %.5f\n", r.translated_images, r.target_images, r.wasserstein);
      report = gan::train::to_json(r);
      csv = gan::train::to_csv(r.cycle, r.cycle_mean, gan::train::EdgeColumns::translation);
    }
    if (!json_path.empty()) gan::io::write_file_atomic(json_path, report.dump(2) + "\n");
    if (!csv_path.empty()) gan::io::write_file_atomic(csv_path, csv);
  } catch (const gan::InputError& e) {
    std::fprintf(stderr, "gan_eval: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gan_eval: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
