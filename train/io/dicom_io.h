// Placeholder of the DICOM series reader/writer (GDCM); the full implementation replaces it.
#pragma once
#include <string>
#include <vector>

#include "train/io/nifti_io.h"

namespace gan::io {

struct DicomSeriesFiles {
  std::string folder, series_uid, description;
  std::vector<std::string> files;
};
std::vector<DicomSeriesFiles> find_dicom_series(const std::string& dir);
Volume load_dicom_series(const DicomSeriesFiles& series);
struct DicomWriteOptions {
  std::string series_description = "gan_infer translation";
  int series_number = 1000;
  std::string patient_name = "PHANTOM", patient_id = "PHANTOM";
  std::string study_description;
};
void save_dicom_series(const std::string& out_dir, const Volume& like, const std::vector<float>& voxels,
                       const DicomSeriesFiles* source, const DicomWriteOptions& options);

}  // namespace gan::io
