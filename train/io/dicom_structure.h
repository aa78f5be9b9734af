// A structural check of a DICOM file, run before GDCM parses it.
//
// GDCM allocates every element's value at the length its header declares (ByteValue::SetLength
// resizes a std::vector to it) before reading it, and recurses into nested sequences without a
// depth limit. So a 200-byte file whose element claims 0xFFFFFFF0 bytes makes GDCM allocate 4 GiB,
// and a file of deeply nested sequences can exhaust the stack. GDCM is an uninstrumented system
// library we cannot change, so the files we hand it are first walked here: element by element,
// seeking over values, checking that every defined length fits in what remains of the file (or
// of the item that holds it), that sequences nest at most kMaxDicomNesting deep, and that every
// explicit VR is a known one (GDCM reinterprets an element with an unknown VR in ways this walk
// would not follow). Such a file is valid DICOM only if it passes anyway; real files do.
//
// Also refused here: no "DICM" marker at byte 128 (every DICOM Part 10 file has it), a missing
// transfer syntax, and the deflated transfer syntax (its data set is zlib-compressed, so its
// structure cannot be checked without inflating it; it is practically never used for images).
#pragma once
#include <string>

namespace gan::io {

constexpr int kMaxDicomNesting = 16;  // real files nest sequences 2-6 deep

// What the walk learned: the transfer syntax UID of the data set.
struct DicomStructure {
  std::string transfer_syntax;
};

// Throws gan::InputError("<path>: <problem>") if the file is not a soundly structured DICOM file.
// Reads only element headers (a few bytes each), so it is cheap even for a large file.
DicomStructure check_dicom_structure(const std::string& path);

}  // namespace gan::io
