// Writing a Volume as a DICOM series (save_dicom_series, declared in dicom_io.h).
#include <nifti1_io.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gdcmFileExplicitFilter.h>
#include <gdcmItem.h>
#include <gdcmSequenceOfItems.h>
#include <gdcmReader.h>
#include <gdcmUIDGenerator.h>
#include <gdcmWriter.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "core/error.h"
#include "train/io/atomic_file.h"
#include "train/io/dicom_header.h"
#include "train/io/dicom_io.h"

namespace gan::io {
namespace {

using Vec3 = std::array<double, 3>;

// Puts a value, padded to even length as DICOM requires (UI with NUL, text with a space).
void put(gdcm::DataSet& ds, uint16_t group, uint16_t element, gdcm::VR vr, std::string value) {
  if (value.size() % 2) value += vr == gdcm::VR::UI || (vr & gdcm::VR::VRBINARY) ? '\0' : ' ';
  gdcm::DataElement de(gdcm::Tag(group, element));
  de.SetVR(vr);
  de.SetByteValue(value.data(), static_cast<uint32_t>(value.size()));
  ds.Replace(de);
}
void put_us(gdcm::DataSet& ds, uint16_t group, uint16_t element, int v) {
  const char b[2] = {static_cast<char>(v & 0xFF), static_cast<char>((v >> 8) & 0xFF)};
  put(ds, group, element, gdcm::VR::US, std::string(b, 2));
}

// A decimal string of at most 16 characters (the DS limit) that reads back as close to d as fits.
std::string ds_number(double d) {
  char s[32];
  if (d == 0) d = 0;  // no "-0"
  for (int digits = 15; digits > 1; --digits) {
    std::snprintf(s, sizeof s, "%.*g", digits, d);
    if (std::strlen(s) <= 16) return s;
  }
  return "0";
}
std::string ds_list(std::initializer_list<double> values) {
  std::string s;
  for (double v : values) s += (s.empty() ? "" : "\\") + ds_number(v);
  return s;
}

// Option strings go into LO/PN/SH elements: printable ASCII, no '\' (the value separator).
std::string dicom_text(const std::string& s, size_t max_len = 64) {
  std::string out;
  for (char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    out += u == '\\' ? '/' : (u < 32 || u > 126) ? '?' : c;
  }
  return out.substr(0, max_len);
}

std::string new_uid() {
  gdcm::UIDGenerator g;
  const char* uid = g.Generate();
  if (!uid) throw std::runtime_error("save_dicom_series: cannot generate a UID");
  return uid;
}

// How float voxels become int16: value = stored * slope + intercept.
struct Quantisation {
  double slope = 1, intercept = 0;
  double lo = 0, hi = 0;  // data range, for the display window
};

Quantisation choose_quantisation(const std::vector<float>& voxels) {
  Quantisation q;
  bool any = false, integral = true;
  for (float v : voxels) {
    if (!std::isfinite(v)) continue;
    q.lo = any ? std::min<double>(q.lo, v) : v;
    q.hi = any ? std::max<double>(q.hi, v) : v;
    any = true;
    integral = integral && v == std::round(v);
  }
  if (integral && q.lo >= -32768 && q.hi <= 32767) return q;  // exact with slope 1
  if (q.hi > q.lo) {
    // Round-trip the DS strings, so the stored values are computed with what readers will use.
    q.slope = std::strtod(ds_number((q.hi - q.lo) / 65535.0).c_str(), nullptr);
    q.intercept = std::strtod(ds_number(q.lo + 32768.0 * q.slope).c_str(), nullptr);
  } else {
    q.intercept = std::strtod(ds_number(q.lo).c_str(), nullptr);
  }
  return q;
}

std::string quantise_slice(const float* v, size_t n, const Quantisation& q) {
  std::string bytes(n * 2, '\0');
  for (size_t i = 0; i < n; ++i) {
    const double x = std::isfinite(v[i]) ? v[i] : 0.0;
    const double s = std::clamp(std::round((x - q.intercept) / q.slope), -32768.0, 32767.0);
    const uint16_t u = static_cast<uint16_t>(static_cast<int16_t>(s));
    bytes[2 * i] = static_cast<char>(u & 0xFF);
    bytes[2 * i + 1] = static_cast<char>(u >> 8);
  }
  return bytes;
}

// The elements every output slice gets: the new series, the derived image, its pixels.
void put_image(gdcm::DataSet& ds, const Volume& like, const Quantisation& q, const std::string& pixels,
               const std::string& series_uid, int z, const DicomWriteOptions& options) {
  put(ds, 0x0008, 0x0008, gdcm::VR::CS, "DERIVED\\SECONDARY");
  put(ds, 0x0008, 0x0018, gdcm::VR::UI, new_uid());
  put(ds, 0x0008, 0x103e, gdcm::VR::LO, dicom_text(options.series_description));
  put(ds, 0x0008, 0x2111, gdcm::VR::ST, "image translation by a CycleGAN generator");
  put(ds, 0x0020, 0x000e, gdcm::VR::UI, series_uid);
  put(ds, 0x0020, 0x0011, gdcm::VR::IS, std::to_string(options.series_number));
  put(ds, 0x0020, 0x0013, gdcm::VR::IS, std::to_string(z + 1));
  put_us(ds, 0x0028, 0x0002, 1);
  put(ds, 0x0028, 0x0004, gdcm::VR::CS, "MONOCHROME2");
  put_us(ds, 0x0028, 0x0010, like.ny);
  put_us(ds, 0x0028, 0x0011, like.nx);
  put_us(ds, 0x0028, 0x0100, 16);
  put_us(ds, 0x0028, 0x0101, 16);
  put_us(ds, 0x0028, 0x0102, 15);
  put_us(ds, 0x0028, 0x0103, 1);
  put(ds, 0x0028, 0x1050, gdcm::VR::DS, ds_number((q.lo + q.hi) / 2));
  put(ds, 0x0028, 0x1051, gdcm::VR::DS, ds_number(std::max(q.hi - q.lo, 1.0)));
  put(ds, 0x0028, 0x1052, gdcm::VR::DS, ds_number(q.intercept));
  put(ds, 0x0028, 0x1053, gdcm::VR::DS, ds_number(q.slope));
  put(ds, 0x0028, 0x1054, gdcm::VR::LO, "US");  // RescaleType: unspecified
  put(ds, 0x7fe0, 0x0010, gdcm::VR::OW, pixels);
}

// Elements of a source slice that describe its pixels or its vendor's processing: wrong for the
// new pixels, so dropped (put_image sets the pixel module anew): the image pixel module (group
// 0028) except geometry and lossy-compression history, overlays, curves, icons, the old pixel
// data, and private elements (which may hold vendor scalings that would misread new pixels).
void drop_source_pixel_description(gdcm::DataSet& ds) {
  static const gdcm::Tag kKeep[] = {
      gdcm::Tag(0x0028, 0x0030),  // PixelSpacing
      gdcm::Tag(0x0028, 0x2110),  // LossyImageCompression: a lossy source stays marked lossy
      gdcm::Tag(0x0028, 0x2112),  // LossyImageCompressionRatio
      gdcm::Tag(0x0028, 0x2114),  // LossyImageCompressionMethod
  };
  std::vector<gdcm::Tag> drop;
  for (const gdcm::DataElement& de : ds.GetDES()) {
    const gdcm::Tag& t = de.GetTag();
    const uint16_t g = t.GetGroup();
    const bool pixel_module = g == 0x0028 && std::find(std::begin(kKeep), std::end(kKeep), t) == std::end(kKeep);
    const bool overlay_or_curve = (g & 0xFF00) == 0x6000 || (g & 0xFF00) == 0x5000;
    const bool icon = t == gdcm::Tag(0x0088, 0x0200);
    if (t.IsPrivate() || pixel_module || overlay_or_curve || icon || g == 0x7fe0) drop.push_back(t);
  }
  for (const gdcm::Tag& t : drop) ds.Remove(t);
}

// Refers each derived slice to the slice it was computed from (SourceImageSequence).
void put_source_reference(gdcm::DataSet& ds, const std::string& sop_class, const std::string& sop_instance) {
  gdcm::Item item;
  item.SetVLToUndefined();
  auto put_uid = [&](uint16_t element, std::string uid) {
    if (uid.size() % 2) uid += '\0';
    gdcm::DataElement de(gdcm::Tag(0x0008, element));
    de.SetVR(gdcm::VR::UI);
    de.SetByteValue(uid.data(), static_cast<uint32_t>(uid.size()));
    item.GetNestedDataSet().Insert(de);
  };
  put_uid(0x1150, sop_class);
  put_uid(0x1155, sop_instance);
  gdcm::SmartPointer<gdcm::SequenceOfItems> sq = new gdcm::SequenceOfItems;
  sq->SetLengthToUndefined();
  sq->AddItem(item);
  gdcm::DataElement de(gdcm::Tag(0x0008, 0x2112));
  de.SetVR(gdcm::VR::SQ);
  de.SetValue(*sq);
  de.SetVLToUndefined();
  ds.Replace(de);
}

// A text element of the data set (trailing padding removed), empty if absent.
std::string text_element(const gdcm::DataSet& ds, uint16_t group, uint16_t element) {
  const gdcm::Tag tag(group, element);
  if (!ds.FindDataElement(tag)) return {};
  const gdcm::ByteValue* bv = ds.GetDataElement(tag).GetByteValue();
  std::string s = bv && bv->GetPointer() ? std::string(bv->GetPointer(), bv->GetLength()) : "";
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

// Geometry of a synthetic volume (NIfTI RAS affine) in DICOM's LPS terms.
struct LpsFrame {
  Vec3 row_dir{}, col_dir{}, slice_vec{}, origin{};
  double dx = 1, dy = 1, dz = 1;
};

LpsFrame lps_frame(const Volume& like) {
  const NiftiGeometry& g = like.geometry;
  mat44 m{};
  if (g.sform_code > 0) {
    for (int r = 0; r < 4; ++r)
      for (int c = 0; c < 4; ++c) m.m[r][c] = g.srow[r][c];
  } else if (g.qform_code > 0) {
    m = nifti_quatern_to_mat44(g.quatern_b, g.quatern_c, g.quatern_d, g.qoffset_x, g.qoffset_y,
                               g.qoffset_z, g.pixdim[1], g.pixdim[2], g.pixdim[3], g.qfac);
  } else {  // no orientation: voxel sizes along the axes (NIfTI "method 1")
    for (int i = 0; i < 3; ++i) m.m[i][i] = g.pixdim[i + 1] > 0 ? g.pixdim[i + 1] : 1.f;
  }
  LpsFrame f;
  Vec3 cols[4];
  for (int c = 0; c < 4; ++c)
    for (int r = 0; r < 3; ++r) cols[c][r] = (r < 2 ? -1.0 : 1.0) * m.m[r][c];  // RAS -> LPS
  auto length = [](const Vec3& v) { return std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]); };
  f.dx = length(cols[0]), f.dy = length(cols[1]), f.dz = length(cols[2]);
  if (!(f.dx > 0) || !(f.dy > 0) || !(f.dz > 0) || !std::isfinite(f.dx * f.dy * f.dz))
    throw std::invalid_argument("save_dicom_series: the volume's affine has a zero or non-finite axis");
  for (int r = 0; r < 3; ++r) {
    f.row_dir[r] = cols[0][r] / f.dx;
    f.col_dir[r] = cols[1][r] / f.dy;
    f.slice_vec[r] = cols[2][r];
    f.origin[r] = cols[3][r];
  }
  return f;
}

void put_geometry(gdcm::DataSet& ds, const LpsFrame& f, int z) {
  const Vec3 p{f.origin[0] + z * f.slice_vec[0], f.origin[1] + z * f.slice_vec[1],
               f.origin[2] + z * f.slice_vec[2]};
  put(ds, 0x0020, 0x0032, gdcm::VR::DS, ds_list({p[0], p[1], p[2]}));
  put(ds, 0x0020, 0x0037, gdcm::VR::DS,
      ds_list({f.row_dir[0], f.row_dir[1], f.row_dir[2], f.col_dir[0], f.col_dir[1], f.col_dir[2]}));
  put(ds, 0x0028, 0x0030, gdcm::VR::DS, ds_list({f.dy, f.dx}));
  put(ds, 0x0018, 0x0050, gdcm::VR::DS, ds_number(f.dz));
  put(ds, 0x0018, 0x0088, gdcm::VR::DS, ds_number(f.dz));
}

// Patient, study and MR-image elements of a synthetic series (MR Image Storage; the type 1
// MR attributes get neutral values, type 2 ones are present and empty).
void put_synthetic_context(gdcm::DataSet& ds, const DicomWriteOptions& options,
                           const std::string& study_uid, const std::string& frame_uid) {
  put(ds, 0x0008, 0x0016, gdcm::VR::UI, "1.2.840.10008.5.1.4.1.1.4");  // MR Image Storage
  put(ds, 0x0008, 0x0020, gdcm::VR::DA, "");
  put(ds, 0x0008, 0x0030, gdcm::VR::TM, "");
  put(ds, 0x0008, 0x0050, gdcm::VR::SH, "");
  put(ds, 0x0008, 0x0060, gdcm::VR::CS, "MR");
  put(ds, 0x0008, 0x0090, gdcm::VR::PN, "");
  put(ds, 0x0008, 0x1030, gdcm::VR::LO, dicom_text(options.study_description));
  put(ds, 0x0010, 0x0010, gdcm::VR::PN, dicom_text(options.patient_name));
  put(ds, 0x0010, 0x0020, gdcm::VR::LO, dicom_text(options.patient_id));
  put(ds, 0x0010, 0x0030, gdcm::VR::DA, "");
  put(ds, 0x0010, 0x0040, gdcm::VR::CS, "");
  put(ds, 0x0018, 0x0020, gdcm::VR::CS, "RM");    // ScanningSequence: research mode
  put(ds, 0x0018, 0x0021, gdcm::VR::CS, "NONE");  // SequenceVariant
  put(ds, 0x0018, 0x0022, gdcm::VR::CS, "");
  put(ds, 0x0018, 0x0023, gdcm::VR::CS, "");
  put(ds, 0x0018, 0x0081, gdcm::VR::DS, "");
  put(ds, 0x0018, 0x0091, gdcm::VR::IS, "");
  put(ds, 0x0020, 0x000d, gdcm::VR::UI, study_uid);
  put(ds, 0x0020, 0x0010, gdcm::VR::SH, "");
  put(ds, 0x0020, 0x0052, gdcm::VR::UI, frame_uid);
  put(ds, 0x0020, 0x1040, gdcm::VR::LO, "");
}

// The source's data set of one slice, made explicit VR (FileExplicitFilter takes each VR from the
// dictionary) so it can be written as explicit VR little endian.
//
// GDCM quirk: Writer::SetFile, FileExplicitFilter::SetFile and friends keep a reference-counting
// SmartPointer to the File they are given and delete it when the count drops to zero, so a
// gdcm::File on the stack is freed twice. Files are therefore always heap objects held by
// gdcm::SmartPointer here.
gdcm::SmartPointer<gdcm::File> read_source_slice(const std::string& path) {
  gdcm::Reader reader;
  reader.SetFileName(path.c_str());
  bool ok = false;
  try {
    ok = reader.Read();
  } catch (...) {
    ok = false;
  }
  if (!ok) throw InputError(path + ": GDCM cannot read the source slice");
  gdcm::SmartPointer<gdcm::File> file = &reader.GetFile();  // outlives the reader
  if (file->GetHeader().GetDataSetTransferSyntax().IsImplicit()) {
    gdcm::FileExplicitFilter explicit_filter;
    explicit_filter.SetFile(*file);
    explicit_filter.SetChangePrivateTags(false);  // private tags are dropped anyway
    if (!explicit_filter.Change()) throw InputError(path + ": cannot convert the source slice to explicit VR");
  }
  return file;
}

std::string encode(gdcm::File& file, const std::string& name) {
  file.GetHeader().Clear();  // regenerated by the writer from the data set
  file.GetHeader().SetDataSetTransferSyntax(gdcm::TransferSyntax::ExplicitVRLittleEndian);
  std::ostringstream os;
  gdcm::Writer writer;
  writer.SetStream(os);
  writer.SetFile(file);
  bool ok = false;
  try {
    ok = writer.Write();
  } catch (...) {
    ok = false;
  }
  if (!ok) throw InputError(name + ": GDCM cannot encode the slice");
  return os.str();
}

// Slice z of a derived series before its pixels: the source slice's data set without its pixel
// description, referring to the source slice.
gdcm::SmartPointer<gdcm::File> derived_slice(const std::string& source_path) {
  gdcm::SmartPointer<gdcm::File> file = read_source_slice(source_path);
  gdcm::DataSet& ds = file->GetDataSet();
  drop_source_pixel_description(ds);
  const std::string sop_class = text_element(ds, 0x0008, 0x0016);
  const std::string sop_instance = text_element(ds, 0x0008, 0x0018);
  if (!sop_class.empty() && !sop_instance.empty()) put_source_reference(ds, sop_class, sop_instance);
  return file;
}

// The source slices in geometric order, checked against the volume being written.
std::vector<std::string> source_slices_in_order(const DicomSeriesFiles& source, const Volume& like) {
  const std::string where = source.folder.empty() ? source.series_uid : source.folder;
  std::vector<DicomSliceHeader> headers;
  for (const std::string& path : source.files) headers.push_back(read_dicom_header(path));
  const DicomStack stack = sort_dicom_slices(headers, where);
  const DicomSliceHeader& h = headers.front();
  if (h.columns != like.nx || h.rows != like.ny || static_cast<int>(headers.size()) != like.nz)
    throw InputError(where + ": source series is " + std::to_string(h.columns) + "x" +
                     std::to_string(h.rows) + "x" + std::to_string(headers.size()) +
                     ", the volume to write " + std::to_string(like.nx) + "x" +
                     std::to_string(like.ny) + "x" + std::to_string(like.nz));
  std::vector<std::string> files;
  for (size_t i : stack.order) files.push_back(headers[i].path);
  return files;
}

std::string slice_file_name(int z, int nz) {
  const int width = std::max<int>(4, static_cast<int>(std::to_string(nz).size()));
  std::string n = std::to_string(z + 1);
  return "slice_" + std::string(width - n.size(), '0') + n + ".dcm";
}

void check_output_folder(const std::string& out_dir) {
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) throw InputError(out_dir + ": " + ec.message());
  for (const auto& entry : std::filesystem::directory_iterator(out_dir, ec))
    if (entry.is_regular_file() && is_dicom_file(entry.path().string()))
      throw InputError(out_dir + ": already holds DICOM files (" + entry.path().filename().string() +
                       "); write a series into an empty folder");
  if (ec) throw InputError(out_dir + ": " + ec.message());
}

}  // namespace

void save_dicom_series(const std::string& out_dir, const Volume& like,
                       const std::vector<float>& voxels, const DicomSeriesFiles* source,
                       const DicomWriteOptions& options) {
  quiet_gdcm();
  const size_t slice = static_cast<size_t>(like.nx) * like.ny;
  if (like.nx < 1 || like.ny < 1 || like.nz < 1 || like.nx > 65535 || like.ny > 65535)
    throw std::invalid_argument("save_dicom_series: volume dims out of range");
  if (voxels.size() != slice * like.nz)
    throw std::invalid_argument("save_dicom_series: " + std::to_string(voxels.size()) +
                                " voxels for a volume of " + std::to_string(slice * like.nz));
  const std::vector<std::string> source_files =
      source ? source_slices_in_order(*source, like) : std::vector<std::string>();
  check_output_folder(out_dir);

  const Quantisation q = choose_quantisation(voxels);
  const std::string series_uid = new_uid();
  const std::string study_uid = source ? "" : new_uid(), frame_uid = source ? "" : new_uid();
  const LpsFrame frame = source ? LpsFrame{} : lps_frame(like);
  // Encode every slice before writing any, so an encoding error leaves nothing behind.
  std::vector<std::string> encoded(like.nz);
  for (int z = 0; z < like.nz; ++z) {
    gdcm::SmartPointer<gdcm::File> file;
    if (source) {
      file = derived_slice(source_files[z]);
    } else {
      file = new gdcm::File;
      put_synthetic_context(file->GetDataSet(), options, study_uid, frame_uid);
      put_geometry(file->GetDataSet(), frame, z);
    }
    put_image(file->GetDataSet(), like, q, quantise_slice(voxels.data() + z * slice, slice, q),
              series_uid, z, options);
    encoded[z] = encode(*file, out_dir + "/" + slice_file_name(z, like.nz));
  }
  std::vector<std::string> written;
  try {
    for (int z = 0; z < like.nz; ++z) {
      const std::string name = out_dir + "/" + slice_file_name(z, like.nz);
      write_file_atomic(name, encoded[z]);
      written.push_back(name);
    }
  } catch (...) {
    for (const std::string& name : written) ::unlink(name.c_str());
    throw;
  }
}

}  // namespace gan::io
