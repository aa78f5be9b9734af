#include "train/data/domain_data.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "train/data/dataset.h"
#include "train/data/intensity.h"
#include "train/io/atomic_file.h"
#include "train/io/dicom_io.h"
#include "train/report/progress.h"

namespace gan::train {
namespace fs = std::filesystem;

namespace {

constexpr int kCacheVersion = 1;

// What identifies a source's content cheaply: total bytes and newest modification time.
nlohmann::json source_stamp(const VolumeSource& s) {
  const std::vector<std::string> files =
      s.kind == VolumeSource::Kind::nifti ? std::vector<std::string>{s.path} : s.series.files;
  uint64_t bytes = 0;
  int64_t mtime_ns = 0;
  for (const std::string& f : files) {
    struct stat st;
    if (::stat(f.c_str(), &st) != 0) throw InputError(f + ": " + std::strerror(errno));
    bytes += static_cast<uint64_t>(st.st_size);
    mtime_ns = std::max<int64_t>(mtime_ns, int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec);
  }
  return {{"name", s.name}, {"files", files.size()}, {"bytes", bytes}, {"mtime_ns", mtime_ns}};
}

// Paired volumes must lie on one voxel grid: same dims, affines equal to 1 micrometre (what
// float32 headers written by two tools from one geometry may differ by).
void require_same_grid(const std::string& name, const VoxelGrid& g, const std::string& partner_name,
                       const VoxelGrid& p) {
  auto dims = [](const VoxelGrid& x) {
    return std::to_string(x.nx) + "x" + std::to_string(x.ny) + "x" + std::to_string(x.nz);
  };
  if (g.nx != p.nx || g.ny != p.ny || g.nz != p.nz)
    throw InputError(name + ": " + dims(g) + " voxels, its pair " + partner_name + " has " + dims(p) +
                     " (paired volumes must be co-registered on one voxel grid)");
  double worst = 0;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) worst = std::max(worst, std::abs(g.voxel_to_ras[r][c] - p.voxel_to_ras[r][c]));
  if (worst > 1e-3) {
    char mm[32];
    std::snprintf(mm, sizeof mm, "%.3g", worst);
    throw InputError(name + ": its voxel-to-world affine differs from that of its pair " + partner_name +
                     " by up to " + mm + " mm (paired volumes must be co-registered on one voxel grid)");
  }
}

}  // namespace

io::Volume load_volume(const VolumeSource& s) {
  if (s.kind == VolumeSource::Kind::nifti) return io::load_nifti(s.path);
  return io::load_dicom_series(s.series);
}

std::vector<std::string> find_nifti_files(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!name.empty() && name[0] != '.' && io::is_nifti_file_name(name) && entry.is_regular_file(ec))
      files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<VolumeSource> find_volumes(const std::string& dir) {
  std::vector<VolumeSource> out;
  for (const std::string& file : find_nifti_files(dir)) {
    VolumeSource s;
    s.kind = VolumeSource::Kind::nifti;
    s.name = s.path = file;
    out.push_back(std::move(s));
  }
  std::vector<std::string> subdirs;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!name.empty() && name[0] != '.' && entry.is_directory(ec)) subdirs.push_back(entry.path().string());
  }
  std::sort(subdirs.begin(), subdirs.end());
  subdirs.insert(subdirs.begin(), dir);  // DICOM files directly in dir, then each sub-folder
  for (const std::string& folder : subdirs) {
    std::vector<io::DicomSeriesFiles> found = io::find_dicom_series(folder);
    for (const io::DicomSeriesFiles& series : found) {
      VolumeSource s;
      s.kind = VolumeSource::Kind::dicom;
      s.series = series;
      s.name = found.size() == 1 ? folder : folder + " (series " + series.series_uid + ")";
      out.push_back(std::move(s));
    }
  }
  std::sort(out.begin(), out.end(), [](const VolumeSource& a, const VolumeSource& b) { return a.name < b.name; });
  return out;
}

FolderContents scan_folder(const std::string& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) throw InputError(dir + ": no such directory");
  if (!fs::is_directory(dir, ec)) throw InputError(dir + ": not a directory");
  FolderContents c;
  c.images = find_image_files(dir);
  c.volumes = find_volumes(dir);
  if (c.images.empty() && c.volumes.empty())
    throw InputError(dir + ": no images (.png .jpg .jpeg .bmp), NIfTI volumes (.nii .nii.gz) or DICOM series here");
  return c;
}

VoxelGrid voxel_grid(const io::Volume& v) {
  return {v.nx, v.ny, v.nz, io::voxel_to_ras(v.geometry)};
}

DomainData::DomainData(const std::string& dir, const DomainOptions& options)
    : DomainData(dir, scan_folder(dir), options) {}

DomainData::DomainData(const std::string& dir, FolderContents contents, const DomainOptions& options)
    : dir_(dir), options_(options) {
  std::error_code ec;
  if (!(options.min_foreground >= 0 && options.min_foreground <= 1))
    throw std::invalid_argument("--min-foreground must be in [0, 1]");
  const std::vector<std::string>& images = contents.images;
  const std::vector<VolumeSource>& sources = contents.volumes;
  image_count_ = images.size();
  std::vector<Item> slices;  // of the volumes, from the slice cache
  if (images.empty() && sources.empty())
    throw InputError(dir + ": no images (.png .jpg .jpeg .bmp), NIfTI volumes (.nii .nii.gz) or DICOM series here");
  if (options_.partner && options_.partner->volumes().size() != sources.size())
    throw std::invalid_argument(dir + ": paired with a folder of another number of volumes");

  if (!sources.empty()) {
    if (options_.cache_dir.empty())
      throw std::invalid_argument(dir + ": holds volumes, but no slice cache folder was given");
    fs::create_directories(options_.cache_dir, ec);
    if (ec) throw InputError(options_.cache_dir + ": cannot create the slice cache folder: " + ec.message());
    nlohmann::json key = {{"version", kCacheVersion},
                          {"slice_axis", slice_axis_name(options_.slice_axis)},
                          {"min_foreground", options_.min_foreground},
                          {"sources", nlohmann::json::array()}};
    for (const VolumeSource& s : sources) key["sources"].push_back(source_stamp(s));
    // A paired domain keeps the slices its partner kept: its cache is stale when the partner's is.
    if (options_.partner) key["paired_with"] = options_.partner->cache_key_;
    cache_key_ = key.dump();
    cache_file_ = options_.cache_dir + "/" + options_.tag + ".slices";
    std::optional<std::vector<Item>> reused = reuse_cache(sources, cache_key_);
    cache_reused_ = reused.has_value();
    slices = cache_reused_ ? std::move(*reused) : build_cache(sources, cache_key_);
    fd_ = ::open(cache_file_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw InputError(cache_file_ + ": " + std::strerror(errno));
  }

  // One list in name order: an image is one item, a volume its kept slices in slice order.
  size_t next_image = 0, next_slice = 0;
  for (size_t v = 0; v <= volumes_.size(); ++v) {
    const std::string* volume_name = v < volumes_.size() ? &volumes_[v].name : nullptr;
    while (next_image < images.size() && (!volume_name || images[next_image] < *volume_name)) {
      Item it;
      it.path = images[next_image++];
      items_.push_back(std::move(it));
    }
    while (volume_name && next_slice < slices.size() && slices[next_slice].volume == static_cast<int32_t>(v))
      items_.push_back(slices[next_slice++]);
  }
  if (items_.empty())
    throw InputError(dir + ": no slice" + (options_.partner ? " pair" : "") +
                     (options_.partner ? " has both slices with" : " has") + " a foreground fraction of at least " +
                     std::to_string(options_.min_foreground) + " (--min-foreground)");
}

DomainData::~DomainData() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<std::vector<DomainData::Item>> DomainData::reuse_cache(const std::vector<VolumeSource>& sources, const std::string& key) {
  const std::string index_path = options_.cache_dir + "/" + options_.tag + ".json";
  std::error_code ec;
  if (!fs::exists(index_path, ec) || !fs::exists(cache_file_, ec)) return std::nullopt;
  nlohmann::json index;
  std::vector<Item> slices;
  try {
    index = nlohmann::json::parse(io::read_file(index_path));
    if (index.at("key").get<std::string>() != key) return std::nullopt;
    uint64_t bytes = 0;
    volumes_.clear();
    slices.clear();
    for (const auto& v : index.at("volumes")) {
      VolumeSummary summary{v.at("name").get<std::string>(), v.at("slices").get<int>(), v.at("kept").get<int>(), {}};
      const auto& g = v.at("grid");  // nx, ny, nz, then the affine row by row
      if (g.size() != 19) return std::nullopt;
      summary.grid.nx = g.at(0).get<int>(), summary.grid.ny = g.at(1).get<int>(), summary.grid.nz = g.at(2).get<int>();
      for (int e = 0; e < 16; ++e) summary.grid.voxel_to_ras[e / 4][e % 4] = g.at(3 + e).get<double>();
      volumes_.push_back(std::move(summary));
    }
    for (const auto& s : index.at("items")) {
      Item it;
      it.volume = s.at(0).get<int32_t>();
      it.slice = s.at(1).get<int32_t>();
      it.width = s.at(2).get<int32_t>();
      it.height = s.at(3).get<int32_t>();
      it.offset = s.at(4).get<uint64_t>();
      if (it.volume < 0 || it.volume >= static_cast<int32_t>(volumes_.size()) || it.width < 1 || it.height < 1)
        return std::nullopt;
      bytes = std::max<uint64_t>(bytes, it.offset + uint64_t(it.width) * it.height * sizeof(float));
      slices.push_back(it);
    }
    if (volumes_.size() != sources.size() || fs::file_size(cache_file_, ec) != bytes) return std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;  // unreadable or stale index: rebuilt
  }
  if (options_.log)
    *options_.log << "data " << options_.tag << ": " << volumes_.size() << " volumes, " << slices.size()
                  << " slices from the cache " << cache_file_ << "\n";
  return slices;
}

std::vector<DomainData::Item> DomainData::build_cache(const std::vector<VolumeSource>& sources, const std::string& key) {
  std::ostream* log = options_.log;
  const std::string temp = cache_file_ + ".tmp";
  std::FILE* out = std::fopen(temp.c_str(), "wb");
  if (!out) throw InputError(temp + ": cannot write the slice cache: " + std::strerror(errno));
  volumes_.clear();
  std::vector<Item> slices;
  uint64_t offset = 0;
  const auto start = std::chrono::steady_clock::now();
  const DomainData* partner = options_.partner;
  const std::vector<std::vector<int>> partner_slices = partner ? partner->kept_slices() : std::vector<std::vector<int>>();
  try {
    for (size_t v = 0; v < sources.size(); ++v) {
      const io::Volume vol = load_volume(sources[v]);
      if (vol.nonfinite_voxels && log)
        *log << "warning: " << sources[v].name << ": " << vol.nonfinite_voxels << " non-finite voxels read as 0\n";
      const VoxelGrid grid = voxel_grid(vol);
      if (partner) require_same_grid(sources[v].name, grid, partner->volumes()[v].name, partner->volumes()[v].grid);
      const IntensityWindow window = robust_window(vol.voxels);
      SlicePlan plan;
      try {
        plan = plan_slices(vol, options_.slice_axis);
      } catch (const std::invalid_argument& e) {
        throw InputError(sources[v].name + ": " + e.what());
      }
      VolumeSummary summary{sources[v].name, plan.count, 0, grid};
      for (int k = 0; k < plan.count; ++k) {
        if (partner && !std::binary_search(partner_slices[v].begin(), partner_slices[v].end(), k)) continue;
        io::Image img = normalised_slice(vol, plan, k, window);
        if (foreground_fraction(img.pixels.data(), img.pixels.size()) < options_.min_foreground) continue;
        img = to_square_pixels(img, plan);
        if (std::fwrite(img.pixels.data(), sizeof(float), img.pixels.size(), out) != img.pixels.size())
          throw InputError(temp + ": write failed (disk full?)");
        Item it;
        it.volume = static_cast<int32_t>(v);
        it.slice = k, it.width = img.width, it.height = img.height, it.offset = offset;
        offset += img.pixels.size() * sizeof(float);
        slices.push_back(it);
        ++summary.kept;
      }
      volumes_.push_back(summary);
      if (log) {
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        const double rate = (v + 1) / std::max(secs, 1e-9);
        char speed[64];
        std::snprintf(speed, sizeof speed, "%.2f volumes/s", rate);
        *log << "data " << options_.tag << ": volume " << v + 1 << "/" << sources.size() << " "
             << summary.name << ": " << summary.kept << " of " << summary.slices << " "
             << slice_axis_name(options_.slice_axis) << " slices kept (" << plan.width << "x"
             << plan.height << (plan.needs_resampling() ? " resampled to square pixels" : "")
             << "); " << speed << ", ETA " << format_duration((sources.size() - v - 1) / rate) << std::endl;
      }
    }
    if (std::fflush(out) != 0 || ::fsync(fileno(out)) != 0) throw InputError(temp + ": write failed (disk full?)");
  } catch (...) {
    std::fclose(out);
    std::remove(temp.c_str());
    throw;
  }
  std::fclose(out);
  if (std::rename(temp.c_str(), cache_file_.c_str()) != 0)
    throw InputError(cache_file_ + ": cannot rename the slice cache: " + std::strerror(errno));
  nlohmann::json index = {{"key", key}, {"volumes", nlohmann::json::array()}, {"items", nlohmann::json::array()}};
  for (const VolumeSummary& s : volumes_) {
    nlohmann::json grid = {s.grid.nx, s.grid.ny, s.grid.nz};
    for (const auto& row : s.grid.voxel_to_ras)
      for (double x : row) grid.push_back(x);
    index["volumes"].push_back({{"name", s.name}, {"slices", s.slices}, {"kept", s.kept}, {"grid", grid}});
  }
  for (const Item& it : slices) index["items"].push_back({it.volume, it.slice, it.width, it.height, it.offset});
  io::write_file_atomic(options_.cache_dir + "/" + options_.tag + ".json", index.dump() + "\n");
  return slices;
}

io::Image DomainData::load(size_t i) const {
  const Item& it = items_.at(i);
  if (it.volume < 0) return io::load_image(it.path);
  io::Image img;
  img.width = it.width, img.height = it.height, img.channels = 1, img.bit_depth = 16;
  img.pixels.resize(static_cast<size_t>(it.width) * it.height);
  const size_t bytes = img.pixels.size() * sizeof(float);
  size_t got = 0;
  while (got < bytes) {
    const ssize_t r = ::pread(fd_, reinterpret_cast<char*>(img.pixels.data()) + got, bytes - got,
                              static_cast<off_t>(it.offset + got));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) throw InputError(cache_file_ + ": slice cache truncated or unreadable (delete it to rebuild)");
    got += static_cast<size_t>(r);
  }
  return img;
}

std::vector<std::vector<int>> DomainData::kept_slices() const {
  std::vector<std::vector<int>> kept(volumes_.size());
  for (const Item& it : items_)
    if (it.volume >= 0) kept[static_cast<size_t>(it.volume)].push_back(it.slice);
  return kept;  // items_ hold each volume's slices in slice order
}

void DomainData::keep_slices_of(const DomainData& other) {
  if (other.volumes_.size() != volumes_.size())
    throw std::invalid_argument(dir_ + ": paired with a folder of another number of volumes");
  const std::vector<std::vector<int>> theirs = other.kept_slices();
  std::vector<Item> kept;
  for (VolumeSummary& v : volumes_) v.kept = 0;
  for (Item& it : items_) {
    if (it.volume >= 0) {
      const std::vector<int>& s = theirs[static_cast<size_t>(it.volume)];
      if (!std::binary_search(s.begin(), s.end(), it.slice)) continue;
      ++volumes_[static_cast<size_t>(it.volume)].kept;
    }
    kept.push_back(std::move(it));
  }
  items_ = std::move(kept);
}

std::string DomainData::describe(size_t i) const {
  const Item& it = items_.at(i);
  if (it.volume < 0) return it.path;
  return volumes_[static_cast<size_t>(it.volume)].name + " " + slice_axis_name(options_.slice_axis) +
         " slice " + std::to_string(it.slice);
}

}  // namespace gan::train
