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

}  // namespace gan::io
