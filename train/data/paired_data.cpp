#include "train/data/paired_data.h"

#include <filesystem>
#include <map>
#include <ostream>
#include <stdexcept>

#include "core/error.h"
#include "train/io/image_io.h"

namespace gan::train {
namespace fs = std::filesystem;

namespace {

// The name that pairs a file or series across the two folders: its path inside its folder.
std::string pairing_name(const std::string& dir, const std::string& path) {
  const std::string prefix = (fs::path(dir) / "").string();
  if (path.compare(0, prefix.size(), prefix) == 0) return path.substr(prefix.size());
  return path == dir ? "." : path;
}

// What one folder holds, by pairing name.
template <class T>
std::map<std::string, T> by_name(const std::string& dir, const std::vector<T>& items,
                                 std::string (*path_of)(const T&)) {
  std::map<std::string, T> out;
  for (const T& x : items) out.emplace(pairing_name(dir, path_of(x)), x);
  return out;
}

std::string image_path(const std::string& p) { return p; }
std::string volume_path(const VolumeSource& v) { return v.name; }

// Every name of `from` must be in `to`; the first one that is not is the error.
template <class T, class U>
void require_pairs(const std::map<std::string, T>& from, const std::map<std::string, U>& to,
                   const std::string& to_dir, const char* what, std::string (*path_of)(const T&)) {
  for (const auto& [name, x] : from)
    if (!to.count(name))
      throw InputError(path_of(x) + ": no " + what + " named " + name + " in " + to_dir +
                       " to pair it with (paired data matches " + what + "s by name)");
}

}  // namespace

PairedDomains load_paired_domains(const std::string& dir_a, const std::string& dir_b,
                                  const DomainOptions& options) {
  FolderContents a = scan_folder(dir_a), b = scan_folder(dir_b);
  const auto images_a = by_name(dir_a, a.images, image_path), images_b = by_name(dir_b, b.images, image_path);
  const auto volumes_a = by_name(dir_a, a.volumes, volume_path), volumes_b = by_name(dir_b, b.volumes, volume_path);
  require_pairs(images_a, images_b, dir_b, "image", image_path);
  require_pairs(images_b, images_a, dir_a, "image", image_path);
  require_pairs(volumes_a, volumes_b, dir_b, "volume", volume_path);
  require_pairs(volumes_b, volumes_a, dir_a, "volume", volume_path);

  // B's lists in A's order (the same names, so both are sorted alike), image sizes checked.
  FolderContents paired_b;
  for (const std::string& path : a.images) {
    const std::string& other = images_b.at(pairing_name(dir_a, path));
    const io::ImageInfo x = io::read_image_info(path), y = io::read_image_info(other);
    if (x.width != y.width || x.height != y.height)
      throw InputError(other + ": " + std::to_string(y.width) + "x" + std::to_string(y.height) +
                       " pixels, its pair " + path + " has " + std::to_string(x.width) + "x" +
                       std::to_string(x.height) + " (paired images must have the same size)");
    paired_b.images.push_back(other);
  }
  for (const VolumeSource& v : a.volumes) paired_b.volumes.push_back(volumes_b.at(pairing_name(dir_a, v.name)));

  PairedDomains d;
  DomainOptions oa = options, ob = options;
  oa.tag = "A";
  oa.partner = nullptr;
  d.a = std::make_shared<DomainData>(dir_a, std::move(a), oa);
  ob.tag = "B";
  ob.partner = d.a.get();  // B keeps the slices A kept and passes its own filter
  d.b = std::make_shared<DomainData>(dir_b, std::move(paired_b), ob);
  d.a->keep_slices_of(*d.b);
  if (d.a->size() != d.b->size()) throw std::logic_error("paired data: the two domains differ in size");
  if (options.log)
    *options.log << "paired data: " << d.a->size() << " pairs (" << d.a->image_count() << " images, "
                 << d.a->size() - d.a->image_count() << " volume slices kept in both contrasts)\n";
  return d;
}

}  // namespace gan::train
