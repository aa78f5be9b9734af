#include "train/phantom/phantom.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <set>
#include <stdexcept>
#include <system_error>

#include "core/error.h"
#include "train/phantom/phantom_mri.h"
#include "train/phantom/phantom_random.h"
#include "train/phantom/phantom_volume.h"

namespace gan::train {

namespace fs = std::filesystem;

namespace {

void require(bool ok, const std::string& flag, const std::string& what, double got) {
  if (ok) return;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", got);
  throw InputError(flag + ": " + what + " (got " + buf + ")");
}

std::string slice_file_name(int subject, int slice) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "subj%03d_slice%03d.png", subject, slice);
  return buf;
}

// The PNG format: one file per (split, subject, slice).
PhantomSummary write_phantom_slices(const PhantomOptions& o);

}  // namespace

const char* const kPhantomSplits[4] = {"trainA", "trainB", "testA", "testB"};

PhantomFormat parse_phantom_format(const std::string& name) {
  if (name == "png") return PhantomFormat::png;
  if (name == "nifti") return PhantomFormat::nifti;
  if (name == "dicom") return PhantomFormat::dicom;
  throw InputError("--format: unknown format '" + name + "' (expected png, nifti or dicom)");
}

void create_phantom_folders(const PhantomOptions& o) {
  for (const char* split : kPhantomSplits) {
    std::error_code ec;
    fs::path dir = fs::path(o.out) / split;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir)) {
      throw InputError("--out " + o.out + ": cannot create folder " + dir.string() + ": " +
                       (ec ? ec.message() : std::string("not a directory")));
    }
  }
}

int count_stale_phantom_files(const PhantomOptions& o, const std::set<std::string>& planned,
                              bool (*is_data_file)(const std::string& name)) {
  int stale = 0;
  for (const char* split : kPhantomSplits) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(fs::path(o.out) / split, ec)) {
      std::string name = entry.path().filename().string();
      if (is_data_file(name) && !planned.count(std::string(split) + "/" + name)) ++stale;
    }
  }
  return stale;
}

void validate_phantom_options(const PhantomOptions& o) {
  require(o.subjects >= 1 && o.subjects <= 100000, "--subjects", "must be in [1, 100000]", o.subjects);
  require(o.test_subjects >= 0 && o.test_subjects <= 100000, "--test-subjects", "must be in [0, 100000]", o.test_subjects);
  require(o.slices >= 1 && o.slices <= 1000, "--slices", "must be in [1, 1000]", o.slices);
  require(o.size >= 16 && o.size <= 4096, "--size", "must be in [16, 4096]", o.size);
  require(o.noise >= 0 && o.noise <= 0.5, "--noise", "must be in [0, 0.5]", o.noise);
  require(o.bias >= 0 && o.bias <= 1, "--bias", "must be in [0, 1]", o.bias);
  require(o.bit_depth == 8 || o.bit_depth == 16, "--bit-depth", "must be 8 or 16", o.bit_depth);
  require(o.supersample >= 1 && o.supersample <= 16, "--supersample", "must be in [1, 16]", o.supersample);
}

std::vector<PhantomSlice> plan_phantom_dataset(const PhantomOptions& o) {
  std::vector<PhantomSlice> plan;
  auto add = [&](const char* split, int subject, bool t2) {
    for (int k = 0; k < o.slices; ++k) plan.push_back({split, subject, k, slice_file_name(subject, k), t2});
  };
  for (int i = 0; i < o.subjects; ++i) add("trainA", i, false);
  for (int i = 0; i < o.subjects; ++i) add("trainB", o.paired ? i : o.subjects + i, true);
  for (int i = 0; i < o.test_subjects; ++i) add("testA", 2 * o.subjects + i, false);
  for (int i = 0; i < o.test_subjects; ++i) add("testB", 2 * o.subjects + i, true);
  return plan;
}

uint64_t phantom_subject_seed(uint64_t dataset_seed, int subject) {
  return derive_seed(dataset_seed, 0x5AB1EC7ull, static_cast<uint64_t>(subject));
}

double phantom_slice_z(int slice, int slices) { return (slice + 0.5) / slices; }

TissueMaps phantom_tissue_maps(const PhantomOptions& o, int subject, int slice) {
  PhantomSubject s = make_phantom_subject(phantom_subject_seed(o.seed, subject));
  return make_phantom_slice(s, phantom_slice_z(slice, o.slices), o.size, o.supersample);
}

io::Image render_phantom_slice(const PhantomOptions& o, const TissueMaps& maps, int subject, int slice, bool t2) {
  uint64_t subject_seed = phantom_subject_seed(o.seed, subject);
  Acquisition acq;
  acq.noise = o.noise;
  acq.bias = o.bias;
  acq.noise_seed = derive_seed(subject_seed, 0x7015Eull + (t2 ? 1 : 0), static_cast<uint64_t>(slice));
  acq.bias_seed = derive_seed(subject_seed, 0xB1A5ull, t2 ? 2 : 1);
  return render_mri(maps, t2 ? t2_weighted_protocol() : t1_weighted_protocol(), acq);
}

PhantomSummary write_phantom_dataset(const PhantomOptions& o) {
  switch (o.format) {
    case PhantomFormat::png: return write_phantom_slices(o);
    case PhantomFormat::nifti:
    case PhantomFormat::dicom: return write_phantom_volumes(o);
  }
  throw std::logic_error("write_phantom_dataset: unknown format");
}

namespace {

PhantomSummary write_phantom_slices(const PhantomOptions& o) {
  validate_phantom_options(o);
  auto start = std::chrono::steady_clock::now();
  create_phantom_folders(o);
  std::vector<PhantomSlice> plan = plan_phantom_dataset(o);

  // One job per (subject, slice): the tissue maps are built once and rendered in each contrast the
  // plan asks for (both, for the paired test subjects).
  struct Job { int subject, slice; std::vector<const PhantomSlice*> outputs; };
  std::vector<Job> jobs;
  for (const auto& p : plan) {
    if (jobs.empty() || jobs.back().subject != p.subject || jobs.back().slice != p.slice) {
      bool merged = false;
      for (auto& j : jobs) {
        if (j.subject == p.subject && j.slice == p.slice) { j.outputs.push_back(&p); merged = true; break; }
      }
      if (!merged) jobs.push_back({p.subject, p.slice, {&p}});
    } else {
      jobs.back().outputs.push_back(&p);
    }
  }

  std::string error;
  const int job_count = static_cast<int>(jobs.size());
#pragma omp parallel for schedule(dynamic)
  for (int j = 0; j < job_count; ++j) {
    try {
      TissueMaps maps = phantom_tissue_maps(o, jobs[j].subject, jobs[j].slice);
      for (const PhantomSlice* p : jobs[j].outputs) {
        io::Image img = render_phantom_slice(o, maps, p->subject, p->slice, p->t2);
        io::save_png((fs::path(o.out) / p->split / p->file_name).string(), img, o.bit_depth);
      }
    } catch (const std::exception& e) {
#pragma omp critical(phantom_error)
      if (error.empty()) error = e.what();
    }
  }
  if (!error.empty()) throw InputError(error);

  PhantomSummary summary;
  summary.files = static_cast<int>(plan.size());
  std::set<std::string> planned;
  for (const auto& p : plan) planned.insert(p.split + "/" + p.file_name);
  summary.stale_files = count_stale_phantom_files(o, planned, io::is_image_file_name);
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace

io::Image phantom_montage(const PhantomOptions& o, int columns) {
  validate_phantom_options(o);
  if (columns < 1) throw InputError("montage: columns must be >= 1");
  const int n = o.size, gap = 2;
  io::Image m;
  m.width = columns * n + (columns - 1) * gap;
  m.height = 2 * n + gap;
  m.channels = 1;
  m.pixels.assign(static_cast<size_t>(m.width) * m.height, 0.0f);
  const int first_subject = o.test_subjects > 0 ? 2 * o.subjects : 0;
  const int subject_count = o.test_subjects > 0 ? o.test_subjects : o.subjects;
  for (int c = 0; c < columns; ++c) {
    int subject = first_subject + c % subject_count;
    int slice = columns == 1 ? o.slices / 2 : (c * (o.slices - 1)) / (columns - 1);
    TissueMaps maps = phantom_tissue_maps(o, subject, slice);
    for (int row = 0; row < 2; ++row) {
      io::Image img = render_phantom_slice(o, maps, subject, slice, row == 1);
      for (int y = 0; y < n; ++y)
        for (int x = 0; x < n; ++x)
          m.pixels[static_cast<size_t>(row * (n + gap) + y) * m.width + c * (n + gap) + x] = img.at(y, x);
    }
  }
  return m;
}

}  // namespace gan::train
