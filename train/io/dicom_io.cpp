// Reading DICOM series: finding them in a folder and loading one into a Volume.
// (Writing: dicom_write.cpp.)
#include "train/io/dicom_io.h"

#include <dirent.h>
#include <nifti1_io.h>
#include <sys/stat.h>

#include <gdcmImage.h>
#include <gdcmJPEG2000Codec.h>
#include <gdcmJPEGCodec.h>
#include <gdcmJPEGLSCodec.h>
#include <gdcmReader.h>
#include <gdcmSequenceOfFragments.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <sstream>

#include "core/error.h"
#include "train/io/dicom_header.h"
#include "train/io/gdcm_codec_guard.h"

namespace gan::io {
namespace {

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};

// Regular, non-hidden files directly in dir, sorted by name; at most max_files of them.
std::vector<std::string> list_candidate_files(const std::string& dir, size_t max_files) {
  std::unique_ptr<DIR, DirCloser> d(::opendir(dir.c_str()));
  if (!d) throw InputError(dir + ": " + std::strerror(errno));
  std::vector<std::string> files;
  while (const dirent* e = ::readdir(d.get())) {
    if (e->d_name[0] == '.') continue;
    const std::string path = dir + "/" + e->d_name;
    if (e->d_type != DT_REG) {
      struct stat st;
      if (e->d_type != DT_UNKNOWN && e->d_type != DT_LNK) continue;
      if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    }
    if (files.size() == max_files)
      throw InputError(dir + ": more than " + std::to_string(max_files) +
                       " files; DICOM series are read from folders of at most that many");
    files.push_back(path);
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Header checks that need no other slice: what this loader can turn into a float volume.
void check_slice_header(const DicomSliceHeader& h) {
  auto fail = [&](const std::string& what) { throw InputError(h.path + ": " + what); };
  if (h.transfer_syntax == "1.2.840.10008.1.2.2")
    fail("explicit VR big endian transfer syntax (retired) not supported");
  if (h.rows < 1 || h.columns < 1) fail("no image (Rows or Columns missing or 0)");
  if (h.rows > kMaxNiftiDim || h.columns > kMaxNiftiDim)
    fail(std::to_string(h.columns) + "x" + std::to_string(h.rows) + " pixels, over the limit of " +
         std::to_string(kMaxNiftiDim) + " per side");
  if (h.frames < 1) fail("NumberOfFrames " + std::to_string(h.frames) + " is not a frame count");
  if (h.frames != 1)
    fail("multi-frame file (NumberOfFrames " + std::to_string(h.frames) +
         ") not supported; export the series as one file per slice");
  if (h.samples_per_pixel != 1 || (h.photometric != "MONOCHROME1" && h.photometric != "MONOCHROME2"))
    fail("not a grayscale image (PhotometricInterpretation '" + h.photometric + "', " +
         std::to_string(h.samples_per_pixel) + " samples per pixel)");
  if (h.bits_allocated != 8 && h.bits_allocated != 16 && h.bits_allocated != 32)
    fail("BitsAllocated " + std::to_string(h.bits_allocated) + " not supported (8, 16 or 32)");
  if (h.bits_stored < 1 || h.bits_stored > h.bits_allocated || h.high_bit != h.bits_stored - 1)
    fail("BitsStored " + std::to_string(h.bits_stored) + " / HighBit " + std::to_string(h.high_bit) +
         " not supported with BitsAllocated " + std::to_string(h.bits_allocated));
  if (h.pixel_representation != 0 && h.pixel_representation != 1)
    fail("PixelRepresentation " + std::to_string(h.pixel_representation) + " is neither 0 nor 1");
  if (!std::isfinite(h.slope) || !std::isfinite(h.intercept))
    fail("RescaleSlope/RescaleIntercept not finite");
}

size_t file_size(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) throw InputError(path + ": " + std::strerror(errno));
  return static_cast<size_t>(st.st_size);
}

gdcm::PixelFormat pixel_format(const DicomSliceHeader& h) {
  return gdcm::PixelFormat(1, static_cast<unsigned short>(h.bits_allocated),
                           static_cast<unsigned short>(h.bits_stored),
                           static_cast<unsigned short>(h.high_bit),
                           static_cast<unsigned short>(h.pixel_representation));
}

// A codec's own header (JPEG SOF, JPEG-LS, JPEG 2000 SIZ) must describe the image the DICOM
// header does: the decoders size their output from it, so a 100-byte JPEG claiming 65535x65535
// would otherwise decode (libjpeg pads a truncated stream) into gigabytes. (GDCM's own
// ImageReader does the opposite: it trusts the JPEG and resizes the image to its dimensions.)
void check_codec_header(const DicomSliceHeader& h, const gdcm::TransferSyntax& ts,
                        const gdcm::DataElement& pixel_data) {
  const gdcm::SequenceOfFragments* frags = pixel_data.GetSequenceOfFragments();
  if (!frags || frags->GetNumberOfFragments() == 0)
    throw InputError(h.path + ": compressed transfer syntax without pixel data fragments");
  // The codecs decode the fragments concatenated (one frame per file here).
  std::string stream(frags->ComputeByteLength(), '\0');
  if (stream.empty() || !frags->GetBuffer(stream.data(), stream.size()))
    throw InputError(h.path + ": empty pixel data fragments");
  std::unique_ptr<gdcm::ImageCodec> codec;
  if (gdcm::JPEGCodec().CanDecode(ts)) {
    if (!jpeg_header_is_clean(stream.data(), stream.size()))
      throw InputError(h.path + ": malformed JPEG header");
    codec = std::make_unique<gdcm::JPEGCodec>();
  } else if (gdcm::JPEGLSCodec().CanDecode(ts)) {
    codec = std::make_unique<gdcm::JPEGLSCodec>();
  } else if (gdcm::JPEG2000Codec().CanDecode(ts)) {
    if (!gdcm_j2k_scan_is_safe(stream.data(), stream.size()))
      throw InputError(h.path + ": malformed JPEG 2000 marker segments");
    auto j2k = std::make_unique<gdcm::JPEG2000Codec>();
    // GetHeaderInfo leaks its OpenJPEG decoder when the header is unreadable (GDCM 3.0.21), and a
    // decoder owns a thread pool (one thread per CPU by default): without this, a folder of such
    // files leaks thousands of threads. A header needs no threads.
    j2k->SetNumberOfThreadsForDecompression(0);
    codec = std::move(j2k);
  } else {
    // RLE: no codec header to compare; GDCM's decoder writes exactly rows x columns x bytes,
    // once the segment table is sound.
    if (!rle_header_is_sound(stream.data(), stream.size(), h.bits_allocated))
      throw InputError(h.path + ": malformed RLE header (segment count or offsets)");
    return;
  }
  // The JPEG codec picks its 8/12/16-bit decoder from the pixel format (and asserts one was set).
  codec->SetPixelFormat(pixel_format(h));
  std::istringstream is(stream);
  gdcm::TransferSyntax detected;
  if (!codec->GetHeaderInfo(is, detected))
    throw InputError(h.path + ": unreadable compressed pixel data header");
  // The decoders also size their output by the codec's component count (JPEG 2000 allows
  // thousands): one, as the DICOM header says.
  if (codec->GetPixelFormat().GetSamplesPerPixel() != 1)
    throw InputError(h.path + ": compressed pixel data has " +
                     std::to_string(codec->GetPixelFormat().GetSamplesPerPixel()) +
                     " components, the header says 1");
  const unsigned* dims = codec->GetDimensions();
  if (static_cast<int>(dims[0]) != h.columns || static_cast<int>(dims[1]) != h.rows)
    throw InputError(h.path + ": compressed pixel data is " + std::to_string(dims[0]) + "x" +
                     std::to_string(dims[1]) + ", but the header says " +
                     std::to_string(h.columns) + "x" + std::to_string(h.rows));
}

// Raw stored values of one slice (rows x columns samples of bits_allocated bits each), decoded
// by GDCM from the pixel data element; the size is bounded by the file before any allocation.
std::vector<char> decode_pixels(const DicomSliceHeader& h) {
  gdcm::Reader reader;
  reader.SetFileName(h.path.c_str());
  bool ok = false;
  try {
    ok = reader.Read();
  } catch (...) {
    ok = false;
  }
  if (!ok) throw InputError(h.path + ": GDCM cannot read the file");
  const gdcm::DataSet& ds = reader.GetFile().GetDataSet();
  const gdcm::Tag pixel_tag(0x7fe0, 0x0010);
  if (!ds.FindDataElement(pixel_tag)) throw InputError(h.path + ": no PixelData");
  const gdcm::DataElement& pixel_data = ds.GetDataElement(pixel_tag);
  const gdcm::TransferSyntax ts = reader.GetFile().GetHeader().GetDataSetTransferSyntax();
  const size_t bytes = static_cast<size_t>(h.rows) * h.columns * (h.bits_allocated / 8);
  if (ts.IsEncapsulated()) {
    const size_t limit = static_cast<size_t>(kMaxDicomExpansion) * file_size(h.path) + (1u << 20);
    if (bytes > limit)
      throw InputError(h.path + ": " + std::to_string(bytes) + " bytes of pixels from a " +
                       std::to_string(file_size(h.path)) + "-byte file (more than " +
                       std::to_string(kMaxDicomExpansion) + ":1 compression)");
    check_codec_header(h, ts, pixel_data);
  } else {
    const gdcm::ByteValue* bv = pixel_data.GetByteValue();
    const size_t have = bv ? static_cast<size_t>(bv->GetLength()) : 0;
    if (have < bytes)
      throw InputError(h.path + ": truncated pixel data (" + std::to_string(have) + " of " +
                       std::to_string(bytes) + " bytes)");
  }
  // Only the fields validated above go into the gdcm::Image: GDCM then decodes the pixel data and
  // nothing else (no overlays, lookup tables or icons, which ImageReader would also parse).
  gdcm::Image image;
  image.SetNumberOfDimensions(2);
  image.SetDimension(0, static_cast<unsigned>(h.columns));
  image.SetDimension(1, static_cast<unsigned>(h.rows));
  image.SetPixelFormat(pixel_format(h));
  image.SetPhotometricInterpretation(gdcm::PhotometricInterpretation::GetPIType(h.photometric.c_str()));
  image.SetTransferSyntax(ts);
  image.SetDataElement(pixel_data);
  if (image.GetBufferLength() != bytes)
    throw InputError(h.path + ": GDCM computes an unexpected pixel buffer size");
  std::vector<char> buffer(bytes);
  bool decoded = false;
  try {
    decoded = image.GetBuffer(buffer.data());
  } catch (...) {
    decoded = false;
  }
  if (!decoded) throw InputError(h.path + ": cannot decode the pixel data (" + ts.GetString() + ")");
  return buffer;
}

// Stored value -> float: only the BitsStored low bits count (the rest may hold overlays or
// garbage), sign-extended for PixelRepresentation 1, then RescaleSlope/Intercept. MONOCHROME1
// (higher values display darker) is read as is: the inversion is a display rule, the values are
// the same quantity.
template <class T>
void convert_slice(const std::vector<char>& raw, const DicomSliceHeader& h, float* out) {
  const size_t n = raw.size() / sizeof(T);
  const uint64_t mask = h.bits_stored >= 64 ? ~uint64_t(0) : (uint64_t(1) << h.bits_stored) - 1;
  const uint64_t sign = uint64_t(1) << (h.bits_stored - 1);
  for (size_t i = 0; i < n; ++i) {
    T t;
    std::memcpy(&t, raw.data() + i * sizeof(T), sizeof(T));
    const uint64_t bits = static_cast<uint64_t>(t) & mask;
    const double stored = h.pixel_representation == 1 && (bits & sign)
                              ? static_cast<double>(static_cast<int64_t>(bits) - static_cast<int64_t>(mask) - 1)
                              : static_cast<double>(bits);
    const double d = stored * h.slope + h.intercept;
    // A double outside float's range may not be cast (undefined behaviour): it becomes +-inf,
    // and then 0 with the other non-finite voxels.
    out[i] = std::fabs(d) <= std::numeric_limits<float>::max() ? static_cast<float>(d)
             : d > 0 ? std::numeric_limits<float>::infinity() : -std::numeric_limits<float>::infinity();
  }
}

int nifti_datatype(const DicomSliceHeader& h) {
  const bool s = h.pixel_representation == 1;
  switch (h.bits_allocated) {
    case 8: return s ? DT_INT8 : DT_UINT8;
    case 16: return s ? DT_INT16 : DT_UINT16;
    default: return s ? DT_INT32 : DT_UINT32;
  }
}

// NIfTI geometry from the sorted stack: LPS -> RAS (negate x and y), then quaternion form.
NiftiGeometry stack_geometry(const DicomStack& s, const DicomSliceHeader& h, const std::string& where) {
  const double dx = h.spacing[1], dy = h.spacing[0], dz = s.slice_step;
  // Float fields: a spacing or position beyond any scanner's (1e6 mm = 1 km) is a broken header,
  // and would not even convert to float (undefined behaviour beyond 3.4e38).
  for (double x : {dx, dy, dz, s.origin[0], s.origin[1], s.origin[2]})
    if (!(std::fabs(x) <= 1e6))
      throw InputError(where + ": PixelSpacing, slice spacing or ImagePositionPatient out of range");
  mat44 m{};
  for (int r = 0; r < 3; ++r) {
    const double flip = r < 2 ? -1.0 : 1.0;
    m.m[r][0] = static_cast<float>(flip * s.row_dir[r] * dx);
    m.m[r][1] = static_cast<float>(flip * s.col_dir[r] * dy);
    m.m[r][2] = static_cast<float>(flip * s.normal[r] * dz);
    m.m[r][3] = static_cast<float>(flip * s.origin[r]);
  }
  m.m[3][3] = 1;
  NiftiGeometry g;
  g.qform_code = g.sform_code = NIFTI_XFORM_SCANNER_ANAT;
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) g.srow[r][c] = m.m[r][c];
  float qx, qy, qz, sx, sy, sz;
  nifti_mat44_to_quatern(m, &g.quatern_b, &g.quatern_c, &g.quatern_d, &qx, &qy, &qz, &sx, &sy,
                         &sz, &g.qfac);
  g.qoffset_x = qx, g.qoffset_y = qy, g.qoffset_z = qz;
  g.pixdim = {g.qfac, static_cast<float>(dx), static_cast<float>(dy), static_cast<float>(dz), 0, 0, 0, 0};
  g.xyz_units = NIFTI_UNITS_MM;
  g.descrip = h.series_description.substr(0, 79);
  return g;
}

}  // namespace

bool is_dicom_file(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 132) return false;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  char magic[4] = {0, 0, 0, 0};
  const bool ok = std::fseek(f, 128, SEEK_SET) == 0 && std::fread(magic, 1, 4, f) == 4;
  std::fclose(f);
  return ok && std::memcmp(magic, "DICM", 4) == 0;
}

std::vector<DicomSeriesFiles> find_dicom_series(const std::string& dir, size_t max_files) {
  std::map<std::string, DicomSeriesFiles> by_uid;
  for (const std::string& path : list_candidate_files(dir, max_files)) {
    if (!is_dicom_file(path)) continue;
    DicomSliceHeader h;
    try {
      h = read_dicom_header(path);
    } catch (const InputError&) {
      continue;  // not readable as DICOM: like a non-DICOM file, not part of any series
    }
    DicomSeriesFiles& s = by_uid[h.series_uid];
    if (s.files.empty()) {
      s.folder = dir;
      s.series_uid = h.series_uid;
      s.description = h.series_description;
    }
    s.files.push_back(path);
  }
  std::vector<DicomSeriesFiles> out;
  for (auto& [uid, s] : by_uid) out.push_back(std::move(s));
  return out;
}

Volume load_dicom_series(const std::string& dir, DicomSeriesInfo* info) {
  std::vector<DicomSeriesFiles> series = find_dicom_series(dir);
  if (series.empty()) {
    // Say why when there are DICOM files, just none that can be read.
    for (const std::string& path : list_candidate_files(dir, kMaxDicomFiles)) {
      if (!is_dicom_file(path)) continue;
      try {
        read_dicom_header(path);
      } catch (const InputError& e) {
        throw InputError(dir + ": no readable DICOM series (" + e.what() + ")");
      }
    }
    throw InputError(dir + ": no DICOM files");
  }
  if (series.size() > 1) {
    std::string list;
    for (const auto& s : series)
      list += (list.empty() ? "" : ", ") + s.series_uid + " (" + std::to_string(s.files.size()) +
              " files" + (s.description.empty() ? "" : ", '" + s.description + "'") + ")";
    throw InputError(dir + ": " + std::to_string(series.size()) +
                     " DICOM series, expected one: " + list);
  }
  return load_dicom_series(series.front(), info);
}

Volume load_dicom_series(const DicomSeriesFiles& series, DicomSeriesInfo* info) {
  const std::string& where = series.folder.empty() ? series.series_uid : series.folder;
  if (series.files.empty()) throw InputError(where + ": no DICOM files");
  // All headers first: every check that can refuse the series runs before any pixel buffer.
  std::vector<DicomSliceHeader> headers;
  for (const std::string& path : series.files) {
    headers.push_back(read_dicom_header(path));
    check_slice_header(headers.back());
    const DicomSliceHeader& first = headers.front();
    if (headers.back().bits_allocated != first.bits_allocated ||
        headers.back().pixel_representation != first.pixel_representation)
      throw InputError(path + ": pixel format differs from " + first.path);
  }
  const DicomStack stack = sort_dicom_slices(headers, where);
  const DicomSliceHeader& h0 = headers.front();
  Volume v;
  v.nx = h0.columns, v.ny = h0.rows, v.nz = static_cast<int>(headers.size());
  const size_t slice = static_cast<size_t>(v.nx) * v.ny;
  const size_t n = slice * v.nz;
  if (v.nz > kMaxNiftiDim || n > kMaxNiftiVoxels)
    throw InputError(where + ": " + std::to_string(v.nx) + "x" + std::to_string(v.ny) + "x" +
                     std::to_string(v.nz) + " voxels, over the limit of " +
                     std::to_string(kMaxNiftiVoxels));
  v.datatype = nifti_datatype(h0);
  v.geometry = stack_geometry(stack, h0, where);
  v.voxels.resize(n);
  for (int z = 0; z < v.nz; ++z) {
    const DicomSliceHeader& h = headers[stack.order[z]];
    const std::vector<char> raw = decode_pixels(h);
    float* out = v.voxels.data() + z * slice;
    switch (h.bits_allocated) {
      case 8: convert_slice<uint8_t>(raw, h, out); break;
      case 16: convert_slice<uint16_t>(raw, h, out); break;
      default: convert_slice<uint32_t>(raw, h, out); break;
    }
  }
  for (float& x : v.voxels)
    if (!std::isfinite(x)) x = 0.f, ++v.nonfinite_voxels;
  if (v.nonfinite_voxels == n) throw InputError(where + ": no finite voxel (RescaleSlope/Intercept out of range)");
  if (info) {
    info->series_uid = series.series_uid;
    info->slice_files.clear();
    for (size_t i : stack.order) info->slice_files.push_back(headers[i].path);
  }
  return v;
}

}  // namespace gan::io
