#include "train/io/dicom_header.h"

#include <gdcmReader.h>
#include <gdcmTrace.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <set>

#include "core/error.h"
#include "train/io/dicom_io.h"
#include "train/io/dicom_structure.h"

namespace gan::io {
namespace {

// The raw bytes of an element's value; empty when absent or without a plain value.
std::string raw_value(const gdcm::DataSet& ds, uint16_t group, uint16_t element) {
  const gdcm::Tag tag(group, element);
  if (!ds.FindDataElement(tag)) return {};
  const gdcm::ByteValue* bv = ds.GetDataElement(tag).GetByteValue();
  if (!bv || !bv->GetPointer()) return {};
  return std::string(bv->GetPointer(), bv->GetLength());
}

// A text value (CS, DS, IS, LO, UI, ...) without the padding DICOM adds (space or NUL).
std::string text(const gdcm::DataSet& ds, uint16_t group, uint16_t element) {
  std::string s = raw_value(ds, group, element);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  size_t b = 0;
  while (b < s.size() && s[b] == ' ') ++b;
  return s.substr(b);
}

// US (unsigned 16-bit). GDCM has already byte-swapped values of a big endian file to native.
bool read_us(const gdcm::DataSet& ds, uint16_t group, uint16_t element, int& out) {
  const std::string v = raw_value(ds, group, element);
  if (v.size() < 2) return false;
  out = static_cast<unsigned char>(v[0]) | static_cast<unsigned char>(v[1]) << 8;
  return true;
}

// A multi-valued decimal string ("0.5\1.5"); true only if it holds exactly n finite numbers.
template <size_t N>
bool read_ds(const gdcm::DataSet& ds, uint16_t group, uint16_t element, std::array<double, N>& out) {
  const std::string s = text(ds, group, element);
  if (s.empty()) return false;
  size_t start = 0, k = 0;
  for (;;) {
    const size_t end = std::min(s.find('\\', start), s.size());
    if (k == N) return false;
    const std::string item = s.substr(start, end - start);
    char* stop = nullptr;
    const double d = std::strtod(item.c_str(), &stop);
    while (stop && *stop == ' ') ++stop;
    if (item.empty() || !stop || *stop != '\0' || !std::isfinite(d)) return false;
    out[k++] = d;
    if (end == s.size()) break;
    start = end + 1;
  }
  return k == N;
}

double read_ds1(const gdcm::DataSet& ds, uint16_t group, uint16_t element, double fallback) {
  std::array<double, 1> v{};
  return read_ds(ds, group, element, v) ? v[0] : fallback;
}

using Vec3 = std::array<double, 3>;
double dot(const Vec3& a, const Vec3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
Vec3 cross(const Vec3& a, const Vec3& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}
double norm(const Vec3& a) { return std::sqrt(dot(a, a)); }
Vec3 scaled(const Vec3& a, double s) { return {a[0] * s, a[1] * s, a[2] * s}; }
std::string mm(double d) {
  char s[32];
  std::snprintf(s, sizeof s, "%.4g mm", d);
  return s;
}
std::string base_name(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Every slice must have the first slice's size and orientation, and a position.
void check_same_frame(const std::vector<DicomSliceHeader>& headers) {
  const DicomSliceHeader& first = headers.front();
  for (const DicomSliceHeader& h : headers) {
    if (!h.has_orientation) throw InputError(h.path + ": no ImageOrientationPatient");
    if (!h.has_position) throw InputError(h.path + ": no ImagePositionPatient");
    if (h.rows != first.rows || h.columns != first.columns)
      throw InputError(h.path + ": " + std::to_string(h.columns) + "x" + std::to_string(h.rows) +
                       " pixels, but " + base_name(first.path) + " has " +
                       std::to_string(first.columns) + "x" + std::to_string(first.rows));
    for (int i = 0; i < 6; ++i)
      if (std::fabs(h.orientation[i] - first.orientation[i]) > 1e-4)
        throw InputError(h.path + ": ImageOrientationPatient differs from " + base_name(first.path));
    if (std::fabs(h.spacing[0] - first.spacing[0]) > 1e-4 ||
        std::fabs(h.spacing[1] - first.spacing[1]) > 1e-4)
      throw InputError(h.path + ": PixelSpacing differs from " + base_name(first.path));
  }
}

}  // namespace

void quiet_gdcm() {
  gdcm::Trace::SetDebug(false);
  gdcm::Trace::SetWarning(false);
  gdcm::Trace::SetError(false);
}

DicomSliceHeader read_dicom_header(const std::string& path) {
  quiet_gdcm();
  DicomSliceHeader h;
  h.path = path;
  h.transfer_syntax = check_dicom_structure(path).transfer_syntax;
  gdcm::Reader reader;
  reader.SetFileName(path.c_str());
  bool ok = false;
  try {
    ok = reader.ReadUpToTag(gdcm::Tag(0x7fe0, 0x0010), std::set<gdcm::Tag>());
  } catch (...) {  // GDCM throws std::exceptions, and occasionally a bare const char*
    ok = false;
  }
  if (!ok) throw InputError(path + ": GDCM cannot read the DICOM header");
  const gdcm::DataSet& ds = reader.GetFile().GetDataSet();
  h.series_uid = text(ds, 0x0020, 0x000e);
  h.series_description = text(ds, 0x0008, 0x103e);
  h.photometric = text(ds, 0x0028, 0x0004);
  read_us(ds, 0x0028, 0x0010, h.rows);
  read_us(ds, 0x0028, 0x0011, h.columns);
  read_us(ds, 0x0028, 0x0002, h.samples_per_pixel);
  read_us(ds, 0x0028, 0x0100, h.bits_allocated);
  read_us(ds, 0x0028, 0x0101, h.bits_stored);
  read_us(ds, 0x0028, 0x0102, h.high_bit);
  read_us(ds, 0x0028, 0x0103, h.pixel_representation);
  const std::string frames = text(ds, 0x0028, 0x0008);
  if (!frames.empty()) h.frames = std::atoi(frames.c_str());
  h.has_orientation = read_ds(ds, 0x0020, 0x0037, h.orientation);
  h.has_position = read_ds(ds, 0x0020, 0x0032, h.position);
  h.has_spacing = read_ds(ds, 0x0028, 0x0030, h.spacing) && h.spacing[0] > 0 && h.spacing[1] > 0;
  if (!h.has_spacing) h.spacing = {1, 1};
  h.slope = read_ds1(ds, 0x0028, 0x1053, 1);
  h.intercept = read_ds1(ds, 0x0028, 0x1052, 0);
  if (h.slope == 0) h.slope = 1;  // a zero slope would erase the image: a broken writer
  h.slice_thickness = read_ds1(ds, 0x0018, 0x0050, 0);
  h.spacing_between_slices = read_ds1(ds, 0x0018, 0x0088, 0);
  return h;
}

DicomStack sort_dicom_slices(const std::vector<DicomSliceHeader>& headers, const std::string& folder) {
  if (headers.empty()) throw InputError(folder + ": no DICOM slices");
  check_same_frame(headers);
  DicomStack s;
  const std::array<double, 6>& o = headers.front().orientation;
  Vec3 row{o[0], o[1], o[2]}, col{o[3], o[4], o[5]};
  const double nr = norm(row), nc = norm(col);
  if (std::fabs(nr - 1) > 0.01 || std::fabs(nc - 1) > 0.01 || std::fabs(dot(row, col)) > 0.01)
    throw InputError(headers.front().path +
                     ": ImageOrientationPatient is not two orthogonal unit vectors");
  s.row_dir = scaled(row, 1 / nr);
  s.col_dir = scaled(col, 1 / nc);
  const Vec3 n = cross(s.row_dir, s.col_dir);
  s.normal = scaled(n, 1 / norm(n));

  // Position of each slice along the normal; sorted ascending.
  std::vector<double> along(headers.size());
  for (size_t i = 0; i < headers.size(); ++i) {
    const Vec3 p{headers[i].position[0], headers[i].position[1], headers[i].position[2]};
    along[i] = dot(p, s.normal);
  }
  s.order.resize(headers.size());
  std::iota(s.order.begin(), s.order.end(), size_t(0));
  std::stable_sort(s.order.begin(), s.order.end(),
                   [&](size_t a, size_t b) { return along[a] < along[b]; });
  const auto& first = headers[s.order.front()];
  s.origin = {first.position[0], first.position[1], first.position[2]};
  if (headers.size() == 1) {
    s.slice_step = first.spacing_between_slices > 0 ? first.spacing_between_slices
                   : first.slice_thickness > 0      ? first.slice_thickness
                                                    : 1.0;
    return s;
  }

  std::vector<double> steps(headers.size() - 1);
  for (size_t k = 0; k + 1 < headers.size(); ++k) {
    steps[k] = along[s.order[k + 1]] - along[s.order[k]];
    if (steps[k] < kDicomDuplicateMm)
      throw InputError(folder + ": " + base_name(headers[s.order[k]].path) + " and " +
                       base_name(headers[s.order[k + 1]].path) +
                       " are at the same position (several volumes or echoes in one series?)");
  }
  std::vector<double> sorted_steps = steps;
  std::nth_element(sorted_steps.begin(), sorted_steps.begin() + sorted_steps.size() / 2,
                   sorted_steps.end());
  const double median = sorted_steps[sorted_steps.size() / 2];
  const double tolerance = std::max(kDicomSpacingTolerance * median, kDicomSpacingToleranceMm);
  for (size_t k = 0; k < steps.size(); ++k)
    if (std::fabs(steps[k] - median) > tolerance)
      throw InputError(folder + ": slice spacing " + mm(steps[k]) + " between " +
                       base_name(headers[s.order[k]].path) + " and " +
                       base_name(headers[s.order[k + 1]].path) + ", but " + mm(median) +
                       " elsewhere (a missing slice?)");
  s.slice_step = (along[s.order.back()] - along[s.order.front()]) / double(steps.size());

  // Each position must lie on the line through the first one along the normal (no gantry tilt).
  for (size_t z = 1; z < s.order.size(); ++z) {
    const auto& p = headers[s.order[z]].position;
    Vec3 off{p[0] - s.origin[0], p[1] - s.origin[1], p[2] - s.origin[2]};
    const Vec3 lateral = cross(off, s.normal);
    if (norm(lateral) > tolerance)
      throw InputError(headers[s.order[z]].path + ": ImagePositionPatient is " + mm(norm(lateral)) +
                       " off the slice normal through the first slice (tilted or sheared stack)");
  }
  return s;
}

}  // namespace gan::io
