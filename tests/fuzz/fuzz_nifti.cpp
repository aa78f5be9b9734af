// libFuzzer target: NIfTI-1 loading (header fields, dims, datatype, scaling, truncated data).
// niftilib reads by path, so the input goes to a temp file; inputs starting with the gzip magic
// are named .nii.gz so the compressed path is fuzzed too.
#include <unistd.h>

#include <nifti1_io.h>

#include <cstdint>

#include "core/error.h"
#include "tests/fuzz/fuzz_input_file.h"
#include "train/io/nifti_io.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // niftilib prints a line for every malformed header: keep the fuzzer's output readable.
  nifti_set_debug_level(0);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const bool gz = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
  const std::string path = gan::fuzz::write_input_file(data, size, gz ? ".nii.gz" : ".nii");
  try {
    gan::io::Volume v = gan::io::load_nifti(path);
    if (v.voxels.size() != static_cast<size_t>(v.nx) * v.ny * v.nz) __builtin_trap();
  } catch (const gan::InputError&) {
  }
  ::unlink(path.c_str());
  return 0;
}
