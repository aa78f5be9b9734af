#include "train/eval/metrics_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>
#include <system_error>

#include "core/error.h"
#include "train/eval/structure_score.h"
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

nlohmann::json metrics_json(const ImageMetrics& m, EdgeColumns edges) {
  nlohmann::json j = {{"psnr", number(capped(m.psnr))},       {"ssim", number(m.ssim)},
                      {"mae", number(m.mae)},                 {"psnr_fg", number(capped(m.psnr_fg))},
                      {"ssim_fg", number(m.ssim_fg)},         {"mae_fg", number(m.mae_fg)}};
  if (edges != EdgeColumns::none) j["edge_corr"] = number(m.edge_corr);
  if (edges == EdgeColumns::translation_and_target) j["edge_corr_target"] = number(m.edge_corr_target);
  return j;
}

nlohmann::json images_json(const std::vector<ScoredImage>& images, EdgeColumns edges) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& s : images) {
    nlohmann::json j = metrics_json(s.metrics, edges);
    j["name"] = s.name;
    list.push_back(j);
  }
  return list;
}

// "<a_path>: size WxH differs from <b_path> (WxH)" unless a and b have the same size.
void require_same_size(const io::Image& a, const std::string& a_path, const io::Image& b, const std::string& b_path) {
  if (a.width == b.width && a.height == b.height) return;
  throw InputError(a_path + ": size " + std::to_string(a.width) + "x" + std::to_string(a.height) + " differs from " +
                   b_path + " (" + std::to_string(b.width) + "x" + std::to_string(b.height) + ")");
}

// Runs score(i) for every i in [0, count) in parallel; the first error is rethrown as InputError.
template <class Score>
void for_each_image(int count, Score score) {
  std::string error;
#pragma omp parallel for schedule(dynamic)
  for (int i = 0; i < count; ++i) {
    try {
      score(i);
    } catch (const std::exception& e) {
#pragma omp critical(metrics_error)
      if (error.empty()) error = e.what();
    }
  }
  if (!error.empty()) throw InputError(error);
}

// Scores each name in `names`: `pred_dir/name` against `ref_dir/name`; with an input_dir, also the
// structure scores of the prediction and of the reference against `input_dir/name`.
std::vector<ScoredImage> score_pairs(const std::vector<std::string>& names, const std::string& pred_dir,
                                     const std::string& ref_dir,
                                     PredTransform transform = PredTransform::none,
                                     const std::string& input_dir = "") {
  std::vector<ScoredImage> out(names.size());
  for_each_image(static_cast<int>(names.size()), [&](int i) {
    std::string pp = (fs::path(pred_dir) / names[i]).string(), rp = (fs::path(ref_dir) / names[i]).string();
    io::Image p = load_grey(pp), r = load_grey(rp);
    require_same_size(p, pp, r, rp);
    if (transform == PredTransform::invert) invert_foreground(p.pixels, p.height, p.width);
    out[i] = {names[i], compare_images(p.pixels.data(), r.pixels.data(), r.height, r.width)};
    if (input_dir.empty()) return;
    std::string ip = (fs::path(input_dir) / names[i]).string();
    io::Image in = load_grey(ip);
    require_same_size(in, ip, p, pp);
    std::vector<uint8_t> mask = foreground_mask(in.pixels.data(), in.height, in.width);
    ImageMetrics& m = out[i].metrics;
    m.edge_corr = edge_sums(in.pixels.data(), p.pixels.data(), in.height, in.width, mask.data()).correlation();
    m.edge_corr_target = edge_sums(in.pixels.data(), r.pixels.data(), in.height, in.width, mask.data()).correlation();
  });
  return out;
}

// Sets each row's edge_corr: `translated_dir/name` against `input_dir/name`.
void score_translation_edges(std::vector<ScoredImage>& rows, const std::string& input_dir,
                             const std::string& translated_dir) {
  for_each_image(static_cast<int>(rows.size()), [&](int i) {
    std::string ip = (fs::path(input_dir) / rows[i].name).string();
    std::string tp = (fs::path(translated_dir) / rows[i].name).string();
    io::Image in = load_grey(ip), t = load_grey(tp);
    require_same_size(t, tp, in, ip);
    rows[i].metrics.edge_corr = edge_correlation(in.pixels.data(), t.pixels.data(), in.height, in.width);
  });
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
  double ImageMetrics::*fields[] = {&ImageMetrics::psnr,      &ImageMetrics::ssim,
                                    &ImageMetrics::mae,       &ImageMetrics::psnr_fg,
                                    &ImageMetrics::ssim_fg,   &ImageMetrics::mae_fg,
                                    &ImageMetrics::edge_corr, &ImageMetrics::edge_corr_target};
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
                             PredTransform transform, const std::string& input_dir) {
  PairedReport report;
  report.pred_dir = pred_dir, report.target_dir = target_dir, report.input_dir = input_dir;
  std::vector<std::string> pred = image_names_in(pred_dir), target = image_names_in(target_dir);
  require_names(pred, pred_dir, target, target_dir);
  require_names(target, target_dir, pred, pred_dir);
  if (!input_dir.empty()) require_names(pred, pred_dir, image_names_in(input_dir), input_dir);
  report.images = score_pairs(pred, pred_dir, target_dir, transform, input_dir);
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
  require_names(input, input_dir, translated, translated_dir);
  report.cycle = score_pairs(input, reconstructed_dir, input_dir);
  score_translation_edges(report.cycle, input_dir, translated_dir);
  report.cycle_mean = mean_metrics(report.cycle);
  std::vector<float> t = foreground_values(translated_dir, translated), r = foreground_values(real_target_dir, target);
  report.translated_pixels = t.size(), report.target_pixels = r.size();
  report.translated_images = static_cast<int>(translated.size());
  report.target_images = static_cast<int>(target.size());
  report.wasserstein = wasserstein_1d(std::move(t), std::move(r));
  return report;
}

nlohmann::json to_json(const ImageMetrics& metrics, EdgeColumns edges) { return metrics_json(metrics, edges); }

nlohmann::json to_json(const PairedReport& report) {
  const EdgeColumns edges = report.edge_columns();
  nlohmann::json j = {{"mode", "paired"},
                      {"pred", report.pred_dir},
                      {"target", report.target_dir},
                      {"count", report.images.size()},
                      {"data_range", 1.0},
                      {"psnr_cap_db", kPsnrCap},
                      {"mean", metrics_json(report.mean, edges)},
                      {"images", images_json(report.images, edges)}};
  if (!report.input_dir.empty()) j["input"] = report.input_dir;
  return j;
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
          {"cycle_mean", metrics_json(report.cycle_mean, EdgeColumns::translation)},
          {"cycle_images", images_json(report.cycle, EdgeColumns::translation)},
          {"wasserstein_fg", number(report.wasserstein)},
          {"translated_images", report.translated_images},
          {"real_target_images", report.target_images},
          {"translated_fg_pixels", report.translated_pixels},
          {"real_target_fg_pixels", report.target_pixels}};
}

std::string to_csv(const std::vector<ScoredImage>& images, const ImageMetrics& mean, EdgeColumns edges) {
  std::string out = "name,psnr,ssim,mae,psnr_fg,ssim_fg,mae_fg";
  if (edges != EdgeColumns::none) out += ",edge_corr";
  if (edges == EdgeColumns::translation_and_target) out += ",edge_corr_target";
  out += "\n";
  auto row = [&](const std::string& name, const ImageMetrics& m) {
    char buf[256];
    int len = std::snprintf(buf, sizeof buf, ",%.6f,%.6f,%.6f,%.6f,%.6f,%.6f", capped(m.psnr), m.ssim, m.mae,
                            capped(m.psnr_fg), m.ssim_fg, m.mae_fg);
    if (edges != EdgeColumns::none) len += std::snprintf(buf + len, sizeof buf - len, ",%.6f", m.edge_corr);
    if (edges == EdgeColumns::translation_and_target)
      len += std::snprintf(buf + len, sizeof buf - len, ",%.6f", m.edge_corr_target);
    std::snprintf(buf + len, sizeof buf - len, "\n");
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
