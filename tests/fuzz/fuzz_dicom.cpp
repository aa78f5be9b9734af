// libFuzzer target: DICOM series loading (the structure walk, GDCM's header parse, our header
// checks, pixel decoding of every transfer syntax GDCM decodes). GDCM reads by path and the
// loader takes a folder, so the input becomes the only file of a per-process folder, loaded both
// as a folder (find_dicom_series + load) and as a one-file series (no content filter first).
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>

#include "core/error.h"
#include "tests/fuzz/fuzz_input_file.h"
#include "train/io/dicom_io.h"

namespace {

void check(const gan::io::Volume& v) {
  if (v.voxels.size() != static_cast<size_t>(v.nx) * v.ny * v.nz) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string dir = gan::fuzz::input_dir("dicom");
  const std::string path = dir + "/slice.dcm";
  gan::fuzz::write_file(path, data, size);
  try {
    check(gan::io::load_dicom_series(dir));
  } catch (const gan::InputError&) {
  }
  try {
    check(gan::io::load_dicom_series(gan::io::DicomSeriesFiles{dir, "", "", {path}}));
  } catch (const gan::InputError&) {
  }
  ::unlink(path.c_str());
  return 0;
}
