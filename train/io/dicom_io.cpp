#include "train/io/dicom_io.h"

#include "core/error.h"

namespace gan::io {

std::vector<DicomSeriesFiles> find_dicom_series(const std::string&) { return {}; }
Volume load_dicom_series(const DicomSeriesFiles& s) { throw InputError(s.folder + ": DICOM not supported"); }

void save_dicom_series(const std::string& out_dir, const Volume&, const std::vector<float>&,
                       const DicomSeriesFiles*, const DicomWriteOptions&) {
  throw InputError(out_dir + ": DICOM not supported");
}

}  // namespace gan::io
