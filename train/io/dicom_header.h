// The header fields of one DICOM slice that reading and writing a series need, and the
// geometric sorting of a series' slices (shared by load_dicom_series and save_dicom_series with a
// source, so both put the same file at the same z).
#pragma once
#include <array>
#include <string>
#include <vector>

namespace gan::io {

struct DicomSliceHeader {
  std::string path;
  std::string series_uid, series_description, transfer_syntax, photometric;
  int rows = 0, columns = 0, frames = 1, samples_per_pixel = 1;
  int bits_allocated = 0, bits_stored = 0, high_bit = 0, pixel_representation = 0;
  bool has_orientation = false, has_position = false, has_spacing = false;
  std::array<double, 6> orientation{};  // ImageOrientationPatient: row direction, column direction (LPS)
  std::array<double, 3> position{};     // ImagePositionPatient (LPS, mm)
  std::array<double, 2> spacing{1, 1};  // PixelSpacing: between rows, between columns (mm)
  double slope = 1, intercept = 0;      // RescaleSlope / RescaleIntercept
  double slice_thickness = 0, spacing_between_slices = 0;  // 0 when absent
};

// Checks the file's structure (dicom_structure.h), then parses the header up to the pixel data
// with GDCM. Throws gan::InputError("<path>: <problem>") if it cannot be read. Fields absent from
// the file keep their defaults (and the has_* flags say which geometry fields were present).
DicomSliceHeader read_dicom_header(const std::string& path);

// The slices of a series in geometric order, with the geometry they share.
struct DicomStack {
  std::vector<size_t> order;           // order[z]: index into the headers
  std::array<double, 3> row_dir{}, col_dir{}, normal{};  // LPS unit vectors
  std::array<double, 3> origin{};      // position of slice 0 (LPS, mm)
  double slice_step = 1;               // mm along the normal between consecutive slices
};

// Validates and sorts (see load_dicom_series in dicom_io.h for the rules). `folder` names the
// series in errors that concern more than one file.
DicomStack sort_dicom_slices(const std::vector<DicomSliceHeader>& headers, const std::string& folder);

// Silences GDCM's own warning/error printing (it reports problems through return values too).
void quiet_gdcm();

}  // namespace gan::io
