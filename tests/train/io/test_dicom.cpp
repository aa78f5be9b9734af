#include <nifti1_io.h>

#include <gdcmImageChangeTransferSyntax.h>
#include <gdcmImageReader.h>
#include <gdcmReader.h>
#include <gdcmWriter.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <functional>
#include <set>

#include "core/error.h"
#include "tests/train/temp_dir.h"
#include "train/io/dicom_io.h"

using gan::InputError;
using gan::testing::TempDir;
using namespace gan::io;
namespace fs = std::filesystem;

namespace {

// A volume with non-square pixels (0.8 x 1.1 mm), 2.5 mm slices and an oblique orientation
// (rotated about two axes, right-handed), so that no axis swap or sign error can go unnoticed.
Volume synthetic_volume(int nx = 40, int ny = 32, int nz = 12) {
  Volume v;
  v.nx = nx, v.ny = ny, v.nz = nz;
  const double a = 0.3, b = -0.5;  // radians
  // R = Rz(a) * Rx(b): columns are the voxel axes in RAS.
  const double R[3][3] = {{std::cos(a), -std::sin(a) * std::cos(b), std::sin(a) * std::sin(b)},
                          {std::sin(a), std::cos(a) * std::cos(b), -std::cos(a) * std::sin(b)},
                          {0, std::sin(b), std::cos(b)}};
  const double d[3] = {0.8, 1.1, 2.5};
  const double t[3] = {-20.5, 31.25, -12};
  NiftiGeometry& g = v.geometry;
  mat44 m{};
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) m.m[r][c] = static_cast<float>(R[r][c] * d[c]);
    m.m[r][3] = static_cast<float>(t[r]);
  }
  m.m[3][3] = 1;
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) g.srow[r][c] = m.m[r][c];
  float qx, qy, qz, dx, dy, dz;
  nifti_mat44_to_quatern(m, &g.quatern_b, &g.quatern_c, &g.quatern_d, &qx, &qy, &qz, &dx, &dy, &dz,
                         &g.qfac);
  g.qoffset_x = qx, g.qoffset_y = qy, g.qoffset_z = qz;
  g.pixdim = {g.qfac, 0.8f, 1.1f, 2.5f, 0, 0, 0, 0};
  g.qform_code = g.sform_code = NIFTI_XFORM_SCANNER_ANAT;
  g.xyz_units = NIFTI_UNITS_MM;
  v.voxels.resize(static_cast<size_t>(nx) * ny * nz);
  for (size_t i = 0; i < v.voxels.size(); ++i)
    v.voxels[i] = 300.f + 250.f * std::sin(0.013f * i) + 0.37f * static_cast<float>(i % 17);
  return v;
}

float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  float m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

float quantisation_step(const std::vector<float>& v) {
  auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return (*hi - *lo) / 65535.f;
}

void check_same_geometry(const Volume& a, const Volume& b) {
  CHECK(a.nx == b.nx);
  CHECK(a.ny == b.ny);
  CHECK(a.nz == b.nz);
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) CHECK(a.geometry.srow[r][c] == Approx(b.geometry.srow[r][c]).margin(1e-3));
  for (int i = 0; i < 4; ++i) CHECK(a.geometry.pixdim[i] == Approx(b.geometry.pixdim[i]).margin(1e-4));
}

std::vector<std::string> files_in(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

// Reads a file with GDCM, lets `edit` change its data set, writes it back.
void edit_dicom(const std::string& path, const std::function<void(gdcm::DataSet&)>& edit) {
  gdcm::Reader reader;
  reader.SetFileName(path.c_str());
  REQUIRE(reader.Read());
  edit(reader.GetFile().GetDataSet());
  gdcm::Writer writer;  // SetFile keeps a reference: the reader's File, not a stack copy
  writer.SetFileName(path.c_str());
  writer.SetFile(reader.GetFile());
  REQUIRE(writer.Write());
}

void set_element(gdcm::DataSet& ds, uint16_t g, uint16_t e, gdcm::VR vr, std::string value) {
  if (value.size() % 2) value += vr == gdcm::VR::UI ? '\0' : ' ';
  gdcm::DataElement de(gdcm::Tag(g, e));
  de.SetVR(vr);
  de.SetByteValue(value.data(), static_cast<uint32_t>(value.size()));
  ds.Replace(de);
}
void set_us(gdcm::DataSet& ds, uint16_t g, uint16_t e, int v) {
  set_element(ds, g, e, gdcm::VR::US, std::string{static_cast<char>(v & 0xFF), static_cast<char>(v >> 8)});
}

std::string text_of(const std::string& path, uint16_t g, uint16_t e) {
  gdcm::Reader reader;
  reader.SetFileName(path.c_str());
  REQUIRE(reader.Read());
  const gdcm::Tag tag(g, e);
  const gdcm::DataSet& ds = g == 0x0002 ? reader.GetFile().GetHeader() : reader.GetFile().GetDataSet();
  if (!ds.FindDataElement(tag)) return {};
  const gdcm::ByteValue* bv = ds.GetDataElement(tag).GetByteValue();
  std::string s = bv ? std::string(bv->GetPointer(), bv->GetLength()) : "";
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

// Re-encodes every file of a series in another transfer syntax with GDCM. gdcm::Writer, not
// ImageWriter: ImageWriter turns an MR image with a rescale into Enhanced MR Image Storage
// (functional groups), a different file than we mean to test.
void convert_series(const std::string& from, const std::string& to, gdcm::TransferSyntax::TSType ts) {
  fs::create_directories(to);
  for (const std::string& f : files_in(from)) {
    gdcm::ImageReader reader;
    reader.SetFileName(f.c_str());
    REQUIRE(reader.Read());
    gdcm::ImageChangeTransferSyntax change;
    change.SetTransferSyntax(ts);
    change.SetInput(reader.GetImage());
    REQUIRE(change.Change());
    gdcm::File& file = reader.GetFile();
    file.GetDataSet().Replace(change.GetOutput().GetDataElement());
    file.GetHeader().Clear();
    file.GetHeader().SetDataSetTransferSyntax(ts);
    gdcm::Writer writer;
    writer.SetFile(file);
    writer.SetFileName((to + "/" + fs::path(f).filename().string()).c_str());
    REQUIRE(writer.Write());
  }
}

// The InputError message load_dicom_series(dir) gives.
std::string load_error(const std::string& dir) {
  try {
    load_dicom_series(dir);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("dicom: a synthetic volume round-trips through a series", "[dicom]") {
  TempDir dir;
  const Volume v = synthetic_volume();
  const std::string out = dir.file("series");
  save_dicom_series(out, v, v.voxels, nullptr, {});
  REQUIRE(files_in(out).size() == 12);
  CHECK(is_dicom_file(files_in(out)[0]));

  DicomSeriesInfo info;
  const Volume r = load_dicom_series(out, &info);
  check_same_geometry(r, v);
  CHECK(r.geometry.qform_code == NIFTI_XFORM_SCANNER_ANAT);
  CHECK(r.geometry.sform_code == NIFTI_XFORM_SCANNER_ANAT);
  CHECK(r.geometry.xyz_units == NIFTI_UNITS_MM);
  CHECK(r.geometry.qfac == 1.f);
  CHECK(r.geometry.quatern_b == Approx(v.geometry.quatern_b).margin(1e-4));
  CHECK(r.geometry.quatern_c == Approx(v.geometry.quatern_c).margin(1e-4));
  CHECK(r.geometry.quatern_d == Approx(v.geometry.quatern_d).margin(1e-4));
  CHECK(r.geometry.qoffset_x == Approx(v.geometry.qoffset_x).margin(1e-3));
  CHECK(r.datatype == DT_INT16);
  CHECK(max_abs_diff(r.voxels, v.voxels) <= 0.51f * quantisation_step(v.voxels) + 1e-4f);
  REQUIRE(info.slice_files.size() == 12);
  CHECK(fs::path(info.slice_files[0]).filename() == "slice_0001.dcm");
  CHECK(fs::path(info.slice_files[11]).filename() == "slice_0012.dcm");

  // Integer data in int16's range is stored exactly.
  Volume ints = synthetic_volume(8, 6, 3);
  for (size_t i = 0; i < ints.voxels.size(); ++i) ints.voxels[i] = static_cast<float>(int(i * 37) % 4000 - 1000);
  save_dicom_series(dir.file("ints"), ints, ints.voxels, nullptr, {});
  CHECK(load_dicom_series(dir.file("ints")).voxels == ints.voxels);
}

TEST_CASE("dicom: a derived series keeps patient, study and geometry of its source", "[dicom]") {
  TempDir dir;
  const Volume v = synthetic_volume();
  DicomWriteOptions src_options;
  src_options.patient_id = "P-0042";
  src_options.patient_name = "Doe^Jane";
  src_options.study_description = "brain";
  save_dicom_series(dir.file("src"), v, v.voxels, nullptr, src_options);
  const std::vector<DicomSeriesFiles> found = find_dicom_series(dir.file("src"));
  REQUIRE(found.size() == 1);
  const Volume in = load_dicom_series(found[0]);

  std::vector<float> translated(in.voxels.size());
  for (size_t i = 0; i < translated.size(); ++i) translated[i] = 1000.f - 0.5f * in.voxels[i];
  DicomWriteOptions options;
  options.series_description = "T2 from T1";
  save_dicom_series(dir.file("out"), in, translated, &found[0], options);

  const std::vector<std::string> src_files = files_in(dir.file("src")), out_files = files_in(dir.file("out"));
  REQUIRE(out_files.size() == src_files.size());
  const std::string src_series = text_of(src_files[0], 0x0020, 0x000e);
  std::set<std::string> sop_uids;
  for (const std::string& f : src_files) sop_uids.insert(text_of(f, 0x0008, 0x0018));
  for (const std::string& f : out_files) {
    INFO(f);
    CHECK(text_of(f, 0x0010, 0x0020) == "P-0042");
    CHECK(text_of(f, 0x0010, 0x0010) == "Doe^Jane");
    CHECK(text_of(f, 0x0020, 0x000d) == text_of(src_files[0], 0x0020, 0x000d));
    CHECK(text_of(f, 0x0020, 0x0052) == text_of(src_files[0], 0x0020, 0x0052));
    CHECK(text_of(f, 0x0020, 0x000e) != src_series);
    CHECK(text_of(f, 0x0020, 0x000e) == text_of(out_files[0], 0x0020, 0x000e));
    CHECK(text_of(f, 0x0008, 0x0008).find("DERIVED") != std::string::npos);
    CHECK(text_of(f, 0x0008, 0x103e) == "T2 from T1");
    CHECK(text_of(f, 0x0002, 0x0010) == "1.2.840.10008.1.2.1");  // explicit VR little endian
    CHECK(sop_uids.insert(text_of(f, 0x0008, 0x0018)).second);   // new and unique
  }
  const Volume back = load_dicom_series(dir.file("out"));
  check_same_geometry(back, in);
  CHECK(max_abs_diff(back.voxels, translated) <= 0.51f * quantisation_step(translated) + 1e-4f);

  // GDCM's own image reader sees the same image and geometry.
  gdcm::ImageReader reader;
  reader.SetFileName(out_files[0].c_str());
  REQUIRE(reader.Read());
  const gdcm::Image& image = reader.GetImage();
  CHECK(image.GetDimension(0) == 40u);
  CHECK(image.GetDimension(1) == 32u);
  CHECK(image.GetSpacing()[0] == Approx(0.8));
  CHECK(image.GetSpacing()[1] == Approx(1.1));
  // Origin in LPS = the RAS origin with x and y negated.
  CHECK(image.GetOrigin()[0] == Approx(-in.geometry.srow[0][3]).margin(1e-3));
  CHECK(image.GetOrigin()[1] == Approx(-in.geometry.srow[1][3]).margin(1e-3));
  CHECK(image.GetOrigin()[2] == Approx(in.geometry.srow[2][3]).margin(1e-3));
}

TEST_CASE("dicom: files named out of slice order load in geometric order", "[dicom]") {
  TempDir dir;
  const Volume v = synthetic_volume(10, 8, 7);
  save_dicom_series(dir.file("s"), v, v.voxels, nullptr, {});
  const std::vector<std::string> files = files_in(dir.file("s"));
  const int perm[7] = {4, 0, 6, 2, 5, 1, 3};
  for (int i = 0; i < 7; ++i)
    fs::rename(files[i], dir.file("s/IMG" + std::to_string(perm[i]) + "_" + std::to_string(i * 7919 % 13)));
  const Volume r = load_dicom_series(dir.file("s"));
  check_same_geometry(r, v);
  CHECK(max_abs_diff(r.voxels, v.voxels) <= 0.51f * quantisation_step(v.voxels) + 1e-4f);
}

TEST_CASE("dicom: broken series are refused with the problem named", "[dicom]") {
  TempDir dir;
  const Volume v = synthetic_volume(10, 8, 6);
  auto fresh = [&](const std::string& name) {
    save_dicom_series(dir.file(name), v, v.voxels, nullptr, {});
    return files_in(dir.file(name));
  };

  std::vector<std::string> f = fresh("gap");
  fs::remove(f[3]);
  CHECK_THAT(load_error(dir.file("gap")), Catch::Contains("slice spacing") && Catch::Contains("missing slice"));

  f = fresh("orientation");
  edit_dicom(f[2], [](gdcm::DataSet& ds) { set_element(ds, 0x0020, 0x0037, gdcm::VR::DS, "0\\1\\0\\0\\0\\-1"); });
  CHECK_THAT(load_error(dir.file("orientation")), Catch::Contains("ImageOrientationPatient differs"));

  f = fresh("size");
  edit_dicom(f[4], [](gdcm::DataSet& ds) {
    set_us(ds, 0x0028, 0x0010, 4);
    set_element(ds, 0x7fe0, 0x0010, gdcm::VR::OW, std::string(4 * 10 * 2, '\0'));
  });
  CHECK_THAT(load_error(dir.file("size")), Catch::Contains("slice_0005.dcm: 10x4 pixels, but"));

  f = fresh("no_position");
  edit_dicom(f[1], [](gdcm::DataSet& ds) { ds.Remove(gdcm::Tag(0x0020, 0x0032)); });
  CHECK_THAT(load_error(dir.file("no_position")), Catch::Contains("no ImagePositionPatient"));

  f = fresh("duplicate");
  const std::string ipp = text_of(f[0], 0x0020, 0x0032);
  edit_dicom(f[1], [&](gdcm::DataSet& ds) { set_element(ds, 0x0020, 0x0032, gdcm::VR::DS, ipp); });
  CHECK_THAT(load_error(dir.file("duplicate")), Catch::Contains("same position"));

  // Non-DICOM files among the slices are skipped, whatever their names.
  fresh("extra");
  gan::testing::write_bytes(dir.file("extra/notes.txt"), "scan notes\n");
  gan::testing::write_bytes(dir.file("extra/junk.dcm"), std::string(300, 'x'));
  gan::testing::write_bytes(dir.file("extra/.hidden"), std::string(300, 'x'));
  CHECK(load_dicom_series(dir.file("extra")).nz == 6);

  fs::create_directories(dir.file("empty"));
  CHECK_THAT(load_error(dir.file("empty")), Catch::Contains("empty: no DICOM files"));

  fs::create_directories(dir.file("broken"));
  gan::testing::write_bytes(dir.file("broken/b.dcm"), std::string(128, '\0') + "DICM" + std::string(10, 'z'));
  CHECK_THAT(load_error(dir.file("broken")), Catch::Contains("no readable DICOM series") && Catch::Contains("b.dcm"));

  fs::create_directories(dir.file("tiny"));
  gan::testing::write_bytes(dir.file("tiny/x.dcm"), "x");
  CHECK_THAT(load_error(dir.file("tiny")), Catch::Contains("no DICOM files"));
  DicomSeriesFiles tiny{dir.file("tiny"), "", "", {dir.file("tiny/x.dcm")}};
  CHECK_THROWS_WITH(load_dicom_series(tiny), Catch::Contains("x.dcm: not a DICOM file"));

  // Two series in one folder: the error lists them.
  fresh("two");
  save_dicom_series(dir.file("two_b"), v, v.voxels, nullptr, {});
  fs::rename(files_in(dir.file("two_b"))[0], dir.file("two/other.dcm"));
  CHECK_THAT(load_error(dir.file("two")), Catch::Contains("2 DICOM series, expected one"));

  // Writing into a folder that already holds a series would mix two series.
  CHECK_THROWS_WITH(save_dicom_series(dir.file("gap"), v, v.voxels, nullptr, {}),
                    Catch::Contains("already holds DICOM files"));
  CHECK_THROWS_AS(save_dicom_series(dir.file("new"), v, std::vector<float>(3), nullptr, {}),
                  std::invalid_argument);
}

TEST_CASE("dicom: compressed transfer syntaxes decode bit-exactly", "[dicom]") {
  TempDir dir;
  const Volume v = synthetic_volume(24, 20, 4);
  save_dicom_series(dir.file("raw"), v, v.voxels, nullptr, {});
  const Volume raw = load_dicom_series(dir.file("raw"));
  const std::pair<const char*, gdcm::TransferSyntax::TSType> syntaxes[] = {
      {"jpeg_lossless", gdcm::TransferSyntax::JPEGLosslessProcess14_1},
      {"rle", gdcm::TransferSyntax::RLELossless},
      {"jpeg_ls", gdcm::TransferSyntax::JPEGLSLossless},
      {"jpeg2000", gdcm::TransferSyntax::JPEG2000Lossless}};
  for (const auto& [name, ts] : syntaxes) {
    INFO(name);
    convert_series(dir.file("raw"), dir.file(name), ts);
    CHECK(text_of(files_in(dir.file(name))[0], 0x0002, 0x0010) == gdcm::TransferSyntax::GetTSString(ts));
    const Volume r = load_dicom_series(dir.file(name));
    check_same_geometry(r, raw);
    CHECK(r.voxels == raw.voxels);
  }

  // A compressed file whose header claims far more pixels than it could hold.
  const std::string f = files_in(dir.file("rle"))[0];
  edit_dicom(f, [](gdcm::DataSet& ds) { set_us(ds, 0x0028, 0x0010, 4000), set_us(ds, 0x0028, 0x0011, 4000); });
  DicomSeriesFiles one{dir.file("rle"), "", "", {f}};
  CHECK_THROWS_WITH(load_dicom_series(one), Catch::Contains(":1 compression"));
  // A JPEG whose own header disagrees with Rows/Columns.
  const std::string j = files_in(dir.file("jpeg_lossless"))[0];
  edit_dicom(j, [](gdcm::DataSet& ds) { set_us(ds, 0x0028, 0x0010, 40); });
  DicomSeriesFiles jone{dir.file("jpeg_lossless"), "", "", {j}};
  CHECK_THROWS_WITH(load_dicom_series(jone), Catch::Contains("compressed pixel data is 24x20, but the header says 24x40"));
}

TEST_CASE("dicom: headers claiming more than the file holds fail before allocating", "[dicom]") {
  TempDir dir;
  const Volume v = synthetic_volume(6, 5, 1);
  save_dicom_series(dir.file("s"), v, v.voxels, nullptr, {});
  const std::string f = files_in(dir.file("s"))[0];
  DicomSeriesFiles one{dir.file("s"), "", "", {f}};

  edit_dicom(f, [](gdcm::DataSet& ds) { set_us(ds, 0x0028, 0x0010, 65535), set_us(ds, 0x0028, 0x0011, 65535); });
  CHECK_THROWS_WITH(load_dicom_series(one), Catch::Contains("65535x65535 pixels, over the limit of 4096"));
  edit_dicom(f, [](gdcm::DataSet& ds) { set_us(ds, 0x0028, 0x0010, 4000), set_us(ds, 0x0028, 0x0011, 4000); });
  CHECK_THROWS_WITH(load_dicom_series(one), Catch::Contains("truncated pixel data (60 of 32000000 bytes)"));

  // An element whose length runs past the end of the file (GDCM would allocate it: 4 GiB).
  std::string bytes(128, '\0');
  bytes += "DICM";
  const std::string ts = "1.2.840.10008.1.2.1";  // 19 characters + NUL pad
  bytes += std::string("\x02\x00\x10\x00UI\x14\x00", 8) + ts + '\0';
  bytes += std::string("\x09\x00\x10\x10OB\x00\x00\xF0\xFF\xFF\xFF", 12) + "tiny";
  gan::testing::write_bytes(dir.file("huge.dcm"), bytes);
  DicomSeriesFiles huge{dir.path.string(), "", "", {dir.file("huge.dcm")}};
  CHECK_THROWS_WITH(load_dicom_series(huge), Catch::Contains("huge.dcm: element (0009,1010) claims 4294967280 bytes, only 4 left"));

  // A sequence delimiter with a length (GDCM allocates it; found by fuzz_dicom: 2 GiB).
  std::string delimiter = bytes.substr(0, 132 + 8 + 20);
  delimiter += std::string("\xE0\x7F\x10\x00OB\x00\x00\xFF\xFF\xFF\xFF", 12);  // PixelData, undefined length
  delimiter += std::string("\xFE\xFF\x00\xE0\x00\x00\x00\x00", 8);               // empty offset table
  delimiter += std::string("\xFE\xFF\xDD\xE0\x10\x00\xE0\x7F", 8);               // delimiter, length 0x7FE00010
  gan::testing::write_bytes(dir.file("delimiter.dcm"), delimiter);
  DicomSeriesFiles delimited{dir.path.string(), "", "", {dir.file("delimiter.dcm")}};
  CHECK_THROWS_WITH(load_dicom_series(delimited), Catch::Contains("delimiter (FFFE,E0DD) with length 2145386512 (must be 0)"));

  // A file that ends with its meta information (GDCM asserts reading past it; found by fuzz_dicom).
  gan::testing::write_bytes(dir.file("meta_only.dcm"), bytes.substr(0, 132 + 8 + 20));
  DicomSeriesFiles meta_only{dir.path.string(), "", "", {dir.file("meta_only.dcm")}};
  CHECK_THROWS_WITH(load_dicom_series(meta_only), Catch::Contains("no data set after the file meta information"));

  // Sequences nested too deep (GDCM recurses without a limit).
  std::string deep = bytes.substr(0, 132 + 8 + 20);
  for (int i = 0; i < 40; ++i)
    deep += std::string("\x08\x00\x15\x11SQ\x00\x00\xFF\xFF\xFF\xFF\xFE\xFF\x00\xE0\xFF\xFF\xFF\xFF", 20);
  gan::testing::write_bytes(dir.file("deep.dcm"), deep);
  DicomSeriesFiles nested{dir.path.string(), "", "", {dir.file("deep.dcm")}};
  CHECK_THROWS_WITH(load_dicom_series(nested), Catch::Contains("nested deeper than 16"));
}

TEST_CASE("dicom: a folder with too many files is refused before reading them", "[dicom]") {
  TempDir dir;
  for (int i = 0; i < 6; ++i) gan::testing::write_bytes(dir.file("f" + std::to_string(i)), "x");
  CHECK_THROWS_WITH(find_dicom_series(dir.path.string(), 5), Catch::Contains("more than 5 files"));
  CHECK(find_dicom_series(dir.path.string(), 6).empty());
  CHECK(kMaxDicomFiles == 20000);
}

TEST_CASE("dicom: a derived series from an implicit VR source is written explicit, without private tags", "[dicom]") {
  TempDir dir;
  const Volume v = synthetic_volume(12, 10, 5);
  DicomWriteOptions o;
  o.patient_id = "IMPL-1";
  save_dicom_series(dir.file("explicit"), v, v.voxels, nullptr, o);
  for (const std::string& f : files_in(dir.file("explicit")))
    edit_dicom(f, [](gdcm::DataSet& ds) {
      set_element(ds, 0x0029, 0x0010, gdcm::VR::LO, "VENDOR");      // private creator
      set_element(ds, 0x0029, 0x1010, gdcm::VR::DS, "2.5");         // e.g. a vendor scale
    });
  convert_series(dir.file("explicit"), dir.file("implicit"), gdcm::TransferSyntax::ImplicitVRLittleEndian);
  const std::string first = files_in(dir.file("implicit"))[0];
  REQUIRE(text_of(first, 0x0002, 0x0010) == "1.2.840.10008.1.2");
  CHECK(text_of(first, 0x0029, 0x1010) == "2.5");

  const std::vector<DicomSeriesFiles> found = find_dicom_series(dir.file("implicit"));
  REQUIRE(found.size() == 1);
  const Volume in = load_dicom_series(found[0]);
  CHECK(in.voxels == load_dicom_series(dir.file("explicit")).voxels);
  save_dicom_series(dir.file("out"), in, in.voxels, &found[0], {});
  for (const std::string& f : files_in(dir.file("out"))) {
    INFO(f);
    CHECK(text_of(f, 0x0002, 0x0010) == "1.2.840.10008.1.2.1");
    CHECK(text_of(f, 0x0010, 0x0020) == "IMPL-1");
    CHECK(text_of(f, 0x0029, 0x1010).empty());
  }
  const Volume back = load_dicom_series(dir.file("out"));
  check_same_geometry(back, in);
  CHECK(max_abs_diff(back.voxels, in.voxels) <= 0.51f * quantisation_step(in.voxels) + 1e-4f);
}
