#include "train/eval/metrics_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>
#include <system_error>

#include "core/error.h"
#include "train/io/image_io.h"

namespace gan::train {

namespace fs = std::filesystem;

namespace {

io::Image load_grey(const std::string& path) {
  io::Image img = io::load_image(path);
  return img.channels == 1 ? img : io::to_grayscale(img);
}

double capped(double psnr) { return std::isinf(psnr) && psnr > 0 ? kPsnrCap : psnr; }

// NaN -> null; PSNR capped.
nlohmann::json number(double v) { return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v); }

nlohmann::json metrics_json(const ImageMetrics& m) {
  return {{"psnr", number(capped(m.psnr))},       {"ssim", number(m.ssim)},       {"mae", number(m.mae)},
          {"psnr_fg", number(capped(m.psnr_fg))}, {"ssim_fg", number(m.ssim_fg)}, {"mae_fg", number(m.mae_fg)}};
}

nlohmann::json images_json(const std::vector<ScoredImage>& images) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& s : images) {
    nlohmann::json j = metrics_json(s.metrics);
    j["name"] = s.name;
    list.push_back(j);
  }
  return list;
}

// Scores each name in `names`: `pred_dir/name` against `ref_dir/name`.
std::vector<ScoredImage> score_pairs(const std::vector<std::string>& names, const std::string& pred_dir,
                                     const std::string& ref_dir,
                                     PredTransform transform = PredTransform::none) {
  std::vector<ScoredImage> out(names.size());
  std::string error;
  const int count = static_cast<int>(names.size());
#pragma omp parallel for schedule(dynamic)
  for (int i = 0; i < count; ++i) {
    try {
      std::string pp = (fs::path(pred_dir) / names[i]).string(), rp = (fs::path(ref_dir) / names[i]).string();
      io::Image p = load_grey(pp), r = load_grey(rp);
      if (p.width != r.width || p.height != r.height) {
        throw InputError(pp + ": size " + std::to_string(p.width) + "x" + std::to_string(p.height) + " differs from " +
                         rp + " (" + std::to_string(r.width) + "x" + std::to_string(r.height) + ")");
      }
      if (transform == PredTransform::invert) invert_foreground(p.pixels, p.height, p.width);
      out[i] = {names[i], compare_images(p.pixels.data(), r.pixels.data(), r.height, r.width)};
    } catch (const std::exception& e) {
#pragma omp critical(metrics_error)
      if (error.empty()) error = e.what();
    }
  }
  if (!error.empty()) throw InputError(error);
  return out;
}

// Every name in `a` must be in `b`: else "<b_dir>/<name>: missing (present in <a_dir>)".
void require_names(const std::vector<std::string>& a, const std::string& a_dir, const std::vector<std::string>& b,
                   const std::string& b_dir) {
  std::set<std::string> have(b.begin(), b.end());
  for (const auto& name : a) {
    if (!have.count(name)) throw InputError((fs::path(b_dir) / name).string() + ": missing (present in " + a_dir + ")");
  }
}

// Foreground intensities of every image in dir (each image's own mask).
std::vector<float> foreground_values(const std::string& dir, const std::vector<std::string>& names) {
  std::vector<float> values;
  for (const auto& name : names) {
    io::Image img = load_grey((fs::path(dir) / name).string());
    std::vector<uint8_t> mask = foreground_mask(img.pixels.data(), img.height, img.width);
    for (size_t i = 0; i < mask.size(); ++i)
      if (mask[i]) values.push_back(img.pixels[i]);
  }
  return values;
}

// Sorted names of the image files (.png .jpg .jpeg .bmp) in dir; InputError if there are none.
std::vector<std::string> image_names_in(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw InputError(dir + ": not a folder");
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && io::is_image_file_name(name)) names.push_back(name);
  }
  if (ec) throw InputError(dir + ": " + ec.message());
  if (names.empty()) throw InputError(dir + ": no image files (.png .jpg .jpeg .bmp)");
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

ImageMetrics mean_metrics(const std::vector<ScoredImage>& images) {
  double ImageMetrics::*fields[] = {&ImageMetrics::psnr,    &ImageMetrics::ssim,    &ImageMetrics::mae,
                                    &ImageMetrics::psnr_fg, &ImageMetrics::ssim_fg, &ImageMetrics::mae_fg};
  ImageMetrics mean;
  for (auto f : fields) {
    double sum = 0;
    int count = 0;
    for (const auto& s : images) {
      double v = capped(s.metrics.*f);
      if (!std::isnan(v)) sum += v, ++count;
    }
    mean.*f = count ? sum / count : std::nan("");
  }
  return mean;
}

void invert_foreground(std::vector<float>& pixels, int height, int width) {
  std::vector<uint8_t> mask = foreground_mask(pixels.data(), height, width);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = mask[i] ? 1.0f - pixels[i] : 0.0f;
}

PairedReport evaluate_paired(const std::string& pred_dir, const std::string& target_dir,
                             PredTransform transform) {
  PairedReport report{pred_dir, target_dir, {}, {}};
  std::vector<std::string> pred = image_names_in(pred_dir), target = image_names_in(target_dir);
  require_names(pred, pred_dir, target, target_dir);
  require_names(target, target_dir, pred, pred_dir);
  report.images = score_pairs(pred, pred_dir, target_dir, transform);
  report.mean = mean_metrics(report.images);
  return report;
}

UnpairedReport evaluate_unpaired(const std::string& input_dir, const std::string& translated_dir,
                                 const std::string& reconstructed_dir, const std::string& real_target_dir) {
  UnpairedReport report;
  report.input_dir = input_dir, report.translated_dir = translated_dir;
  report.reconstructed_dir = reconstructed_dir, report.real_target_dir = real_target_dir;
  std::vector<std::string> input = image_names_in(input_dir), reconstructed = image_names_in(reconstructed_dir);
  std::vector<std::string> translated = image_names_in(translated_dir), target = image_names_in(real_target_dir);
  require_names(input, input_dir, reconstructed, reconstructed_dir);
  report.cycle = score_pairs(input, reconstructed_dir, input_dir);
  report.cycle_mean = mean_metrics(report.cycle);
  std::vector<float> t = foreground_values(translated_dir, translated), r = foreground_values(real_target_dir, target);
  report.translated_pixels = t.size(), report.target_pixels = r.size();
  report.translated_images = static_cast<int>(translated.size());
  report.target_images = static_cast<int>(target.size());
  report.wasserstein = wasserstein_1d(std::move(t), std::move(r));
  return report;
}

nlohmann::json to_json(const ImageMetrics& metrics) { return metrics_json(metrics); }

nlohmann::json to_json(const PairedReport& report) {
  return {{"mode", "paired"},
          {"pred", report.pred_dir},
          {"target", report.target_dir},
          {"count", report.images.size()},
          {"data_range", 1.0},
          {"psnr_cap_db", kPsnrCap},
          {"mean", metrics_json(report.mean)},
          {"images", images_json(report.images)}};
}

nlohmann::json to_json(const UnpairedReport& report) {
  return {{"mode", "unpaired"},
          {"input", report.input_dir},
          {"translated", report.translated_dir},
          {"reconstructed", report.reconstructed_dir},
          {"real_target", report.real_target_dir},
          {"data_range", 1.0},
          {"psnr_cap_db", kPsnrCap},
          {"cycle_count", report.cycle.size()},
          {"cycle_mean", metrics_json(report.cycle_mean)},
          {"cycle_images", images_json(report.cycle)},
          {"wasserstein_fg", number(report.wasserstein)},
          {"translated_images", report.translated_images},
          {"real_target_images", report.target_images},
          {"translated_fg_pixels", report.translated_pixels},
          {"real_target_fg_pixels", report.target_pixels}};
}

std::string to_csv(const std::vector<ScoredImage>& images, const ImageMetrics& mean) {
  std::string out = "name,psnr,ssim,mae,psnr_fg,ssim_fg,mae_fg\n";
  auto row = [&](const std::string& name, const ImageMetrics& m) {
    char buf[256];
    std::snprintf(buf, sizeof buf, ",%.6f,%.6f,%.6f,%.6f,%.6f,%.6f\n", capped(m.psnr), m.ssim, m.mae, capped(m.psnr_fg),
                  m.ssim_fg, m.mae_fg);
    // Names with a comma or quote are quoted (RFC 4180).
    std::string n = name;
    if (n.find_first_of(",\"\n") != std::string::npos) {
      std::string q = "\"";
      for (char c : n) q += c == '"' ? std::string("\"\"") : std::string(1, c);
      n = q + "\"";
    }
    out += n + buf;
  };
  for (const auto& s : images) row(s.name, s.metrics);
  row("mean", mean);
  return out;
}

}  // namespace gan::train
