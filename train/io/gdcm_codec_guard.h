// Guards for memory-safety bugs in GDCM 3.0.21's codecs, found by fuzz_dicom. GDCM is an
// uninstrumented system library we cannot fix, so the loader checks the compressed stream first
// and refuses one on which GDCM's code would read out of bounds or divide by zero.
//
// JPEG (baseline, extended, lossless): GDCM's JPEG codec asserts (assert(0), kept on in Debian's
// build, so the process aborts) when its bundled libjpeg emits any warning while reading the
// header: stray bytes between markers, a stream ending inside it, an unknown JFIF version or
// Adobe transform (found: "extraneous bytes before marker", SIGABRT); it also asserts on a frame
// (SOF) precision of 0 (found) or over 16, and on unusual component counts.
//
// JPEG 2000: besides handing the stream to OpenJPEG, gdcm::JPEG2000Codec scans the marker segments itself
// (parsej2k_imp / parsejp2_imp in gdcmJPEG2000Codec.cxx) to learn whether the compression is
// reversible, in both GetHeaderInfo and Decode. That scan trusts every segment and box length:
// it steps past the end of the buffer when a length exceeds what is left, reads a COD segment's
// bytes 4 and 9 whatever its length, asserts on a short 64-bit box length, and compares 13 bytes
// of magic number against buffers of any size (found: a read past the end, ASan SEGV). The
// same scan runs here first, with bounds checks.
//
// RLE: gdcm::RLECodec::DecodeByStreams indexes the 15-entry segment offset table of the RLE header
// with the segment count the stream declares, and divides the image size by it (found: a read
// far past the table, ASan SEGV; a count of 0 would be a division by zero).
#pragma once
#include <cstddef>

namespace gan::io {

// True if GDCM 3.0.21's scan of this JPEG 2000 stream (codestream or JP2 file) stays inside it.
bool gdcm_j2k_scan_is_safe(const char* data, size_t size);

// True if libjpeg reads this JPEG stream's header, from SOI through the first SOS segment,
// without a warning: every marker right after the previous segment (0xFF fill allowed), every
// segment inside the stream, JFIF version 1, Adobe transform 0-2; and a frame header (SOF) of
// precision 1..16 with one component (the loader reads grayscale only).
bool jpeg_header_is_clean(const char* data, size_t size);

// True if this RLE frame's 64-byte header is what GDCM can decode safely, and what an image of
// one sample of bits_allocated bits has: bits_allocated / 8 segments (PS3.5 G.2), the first at
// offset 64, offsets increasing and inside the frame.
bool rle_header_is_sound(const char* data, size_t size, int bits_allocated);

}  // namespace gan::io
