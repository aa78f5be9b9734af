// A guard for a memory-safety bug in GDCM 3.0.21's JPEG 2000 codec.
//
// Besides handing the stream to OpenJPEG, gdcm::JPEG2000Codec scans the marker segments itself
// (parsej2k_imp / parsejp2_imp in gdcmJPEG2000Codec.cxx) to learn whether the compression is
// reversible, in both GetHeaderInfo and Decode. That scan trusts every segment and box length:
// it steps past the end of the buffer when a length exceeds what is left, reads a COD segment's
// bytes 4 and 9 whatever its length, asserts on a short 64-bit box length, and compares 13 bytes
// of magic number against buffers of any size. fuzz_dicom found the read past the end (ASan
// SEGV). GDCM is an uninstrumented system library, so the loader runs the same scan here first,
// with bounds checks, and refuses a stream on which GDCM's scan would leave the buffer.
#pragma once
#include <cstddef>

namespace gan::io {

// True if GDCM 3.0.21's scan of this JPEG 2000 stream (codestream or JP2 file) stays inside it.
bool gdcm_j2k_scan_is_safe(const char* data, size_t size);

}  // namespace gan::io
