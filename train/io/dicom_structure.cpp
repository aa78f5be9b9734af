#include "train/io/dicom_structure.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>

#include "core/error.h"

namespace gan::io {
namespace {

constexpr uint32_t kUndefinedLength = 0xFFFFFFFFu;
constexpr uint32_t kItem = 0xFFFEE000u, kItemEnd = 0xFFFEE00Du, kSequenceEnd = 0xFFFEE0DDu;
constexpr uint32_t kPixelData = 0x7FE00010u;

std::string tag_name(uint32_t tag) {
  char s[16];
  std::snprintf(s, sizeof s, "(%04X,%04X)", tag >> 16, tag & 0xFFFF);
  return s;
}

// The standard VRs (PS3.5 table 6.2-1); `long_form` ones have a 2-byte reserved field and a
// 4-byte length in explicit VR, the others a 2-byte length.
bool known_vr(const char vr[2], bool& long_form) {
  static const char* const kShort[] = {"AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS",
                                       "LO", "LT", "PN", "SH", "SL", "SS", "ST", "TM", "UI", "UL",
                                       "US"};
  static const char* const kLong[] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ",
                                      "SV", "UC", "UN", "UR", "UT", "UV"};
  for (const char* v : kShort)
    if (vr[0] == v[0] && vr[1] == v[1]) return long_form = false, true;
  for (const char* v : kLong)
    if (vr[0] == v[0] && vr[1] == v[1]) return long_form = true, true;
  return false;
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

// Reads element headers and seeks over values, always knowing how many bytes are left.
class Walker {
 public:
  Walker(const std::string& path, std::FILE* f, uint64_t size) : path_(path), f_(f), size_(size) {}

  DicomStructure walk() {
    char magic[4];
    if (size_ < 132 || !seek(128) || !read(magic, 4) || std::memcmp(magic, "DICM", 4) != 0)
      fail("not a DICOM file (no 'DICM' marker at byte 128)");
    DicomStructure s;
    // File meta information: group 0002, always explicit VR little endian.
    big_endian_ = false;
    while (pos_ + 4 <= size_ && (peek_tag() >> 16) == 0x0002) {
      const Element e = read_element_header(false);
      // GDCM's meta reader asserts on these (and on running out of file right after the meta).
      if (is_vr(e, "SQ") || e.length == kUndefinedLength)
        fail("malformed file meta information (element " + tag_name(e.tag) + ")");
      if (e.tag == 0x00020010u && e.length <= 64) {
        std::string ts(e.length, '\0');
        if (!read(ts.data(), e.length)) fail("truncated file meta information");
        while (!ts.empty() && (ts.back() == '\0' || ts.back() == ' ')) ts.pop_back();
        s.transfer_syntax = ts;
      } else {
        skip_value(e, false, size_, 0);
      }
    }
    if (s.transfer_syntax.empty()) fail("no transfer syntax in the file meta information");
    if (size_ - pos_ < 8) fail("no data set after the file meta information");
    if (s.transfer_syntax == "1.2.840.10008.1.2.1.99")
      fail("deflated transfer syntax not supported");
    const bool implicit = s.transfer_syntax == "1.2.840.10008.1.2";
    big_endian_ = s.transfer_syntax == "1.2.840.10008.1.2.2";
    walk_dataset(implicit, size_, 0, false);
    return s;
  }

 private:
  struct Element {
    uint32_t tag = 0;
    char vr[2] = {0, 0};  // "  " in implicit VR
    uint32_t length = 0;
  };

  [[noreturn]] void fail(const std::string& what) const { throw InputError(path_ + ": " + what); }

  bool seek(uint64_t p) {
    if (p > size_ || fseeko(f_, static_cast<off_t>(p), SEEK_SET) != 0) return false;
    pos_ = p;
    return true;
  }
  bool read(void* out, size_t n) {
    if (n > size_ - pos_ || std::fread(out, 1, n, f_) != n) return false;
    pos_ += n;
    return true;
  }
  uint32_t u16(const unsigned char* b) const {
    return big_endian_ ? (b[0] << 8 | b[1]) : (b[0] | b[1] << 8);
  }
  uint32_t u32(const unsigned char* b) const {
    return big_endian_ ? (uint32_t(b[0]) << 24 | b[1] << 16 | b[2] << 8 | b[3])
                       : (b[0] | b[1] << 8 | b[2] << 16 | uint32_t(b[3]) << 24);
  }
  uint32_t read_tag() {
    unsigned char b[4];
    if (!read(b, 4)) fail("truncated data set (element tag at byte " + std::to_string(pos_) + ")");
    return u16(b) << 16 | u16(b + 2);
  }
  uint32_t read_u32(const char* what) {
    unsigned char b[4];
    if (!read(b, 4)) fail(std::string("truncated ") + what);
    return u32(b);
  }
  uint32_t peek_tag() {
    const uint64_t p = pos_;
    const uint32_t t = read_tag();
    seek(p);
    return t;
  }

  Element read_element_header(bool implicit) {
    Element e;
    e.tag = read_tag();
    if (implicit || e.tag == kItem || e.tag == kItemEnd || e.tag == kSequenceEnd) {
      e.vr[0] = e.vr[1] = ' ';
      e.length = read_u32("element length");
      return e;
    }
    unsigned char b[2];
    if (!read(b, 2)) fail("truncated element " + tag_name(e.tag));
    e.vr[0] = static_cast<char>(b[0]), e.vr[1] = static_cast<char>(b[1]);
    bool long_form = false;
    if (!known_vr(e.vr, long_form)) fail("element " + tag_name(e.tag) + " has an invalid VR");
    if (long_form) {
      if (!read(b, 2)) fail("truncated element " + tag_name(e.tag));
      e.length = read_u32("element length");
    } else {
      if (!read(b, 2)) fail("truncated element " + tag_name(e.tag));
      e.length = u16(b);
    }
    return e;
  }

  bool is_vr(const Element& e, const char* vr) const { return e.vr[0] == vr[0] && e.vr[1] == vr[1]; }

  void check_fits(uint32_t tag, uint64_t length, uint64_t limit) const {
    if (length > limit - pos_)
      fail("element " + tag_name(tag) + " claims " + std::to_string(length) + " bytes, only " +
           std::to_string(limit - pos_) + " left");
  }

  // Item and sequence delimiters have length 0 (PS3.5 7.5). GDCM reads a delimiter's declared
  // length as a value, allocating it: a fuzzed delimiter of length 0x7FE00010 cost 2 GiB.
  void check_delimiter_length(uint32_t tag, uint32_t length) const {
    if (length != 0)
      fail("delimiter " + tag_name(tag) + " with length " + std::to_string(length) + " (must be 0)");
  }

  // Elements up to `limit`, or up to an item delimiter when `until_item_end`.
  void walk_dataset(bool implicit, uint64_t limit, int depth, bool until_item_end) {
    while (pos_ < limit) {
      const Element e = read_element_header(implicit);
      if (e.tag == kItemEnd) {
        if (!until_item_end) fail("unexpected item delimiter at byte " + std::to_string(pos_));
        check_delimiter_length(e.tag, e.length);
        return;
      }
      if (e.tag == kItem || e.tag == kSequenceEnd)
        fail("unexpected item tag at byte " + std::to_string(pos_));
      skip_value(e, implicit, limit, depth);
    }
    if (until_item_end) fail("truncated sequence item (no item delimiter)");
    if (pos_ != limit) fail("element runs past the end of its item");
  }

  void skip_value(const Element& e, bool implicit, uint64_t limit, int depth) {
    // GDCM's parser asserts (its Debian build keeps assert() on, so the process aborts) that
    // explicit-VR pixel data is OB, OW or UN.
    if (e.tag == kPixelData && !implicit && !is_vr(e, "OB") && !is_vr(e, "OW") && !is_vr(e, "UN"))
      fail("PixelData with VR " + std::string(e.vr, 2) + " (expected OB or OW)");
    if (e.length == kUndefinedLength) {
      if (e.tag == kPixelData) return walk_fragments(limit);
      if (implicit || is_vr(e, "SQ")) return walk_sequence(implicit, limit, depth + 1, true);
      if (is_vr(e, "UN")) return walk_sequence(true, limit, depth + 1, true);  // PS3.5 6.2.2
      fail("element " + tag_name(e.tag) + " has an undefined length but is no sequence");
    }
    check_fits(e.tag, e.length, limit);
    const uint64_t end = pos_ + e.length;
    if (is_vr(e, "SQ") || (implicit && e.length >= 8 && peek_tag() == kItem))
      return walk_sequence(implicit, end, depth + 1, false);
    if (!seek(end)) fail("cannot seek in the file");
  }

  void walk_sequence(bool implicit, uint64_t limit, int depth, bool undefined_length) {
    if (depth > kMaxDicomNesting)
      fail("sequences nested deeper than " + std::to_string(kMaxDicomNesting) + " levels");
    for (;;) {
      if (!undefined_length && pos_ == limit) return;
      if (pos_ >= limit) fail("truncated sequence");
      const uint32_t tag = read_tag();
      const uint32_t length = read_u32("item length");
      if (tag == kSequenceEnd && undefined_length) return check_delimiter_length(tag, length);
      if (tag != kItem) fail("unexpected tag " + tag_name(tag) + " in a sequence");
      if (length == kUndefinedLength) {
        walk_dataset(implicit, limit, depth, true);
      } else {
        check_fits(tag, length, limit);
        walk_dataset(implicit, pos_ + length, depth, false);
      }
    }
  }

  // Encapsulated (compressed) pixel data: items of defined length, then a sequence delimiter.
  void walk_fragments(uint64_t limit) {
    for (;;) {
      const uint32_t tag = read_tag();
      const uint32_t length = read_u32("pixel data fragment length");
      if (tag == kSequenceEnd) return check_delimiter_length(tag, length);
      if (tag != kItem || length == kUndefinedLength)
        fail("malformed encapsulated pixel data (tag " + tag_name(tag) + ")");
      check_fits(tag, length, limit);
      if (!seek(pos_ + length)) fail("cannot seek in the file");
    }
  }

  const std::string& path_;
  std::FILE* f_;
  uint64_t size_;
  uint64_t pos_ = 0;
  bool big_endian_ = false;
};

}  // namespace

DicomStructure check_dicom_structure(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) throw InputError(path + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw InputError(path + ": not a regular file");
  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
  if (!f) throw InputError(path + ": " + std::strerror(errno));
  return Walker(path, f.get(), static_cast<uint64_t>(st.st_size)).walk();
}

}  // namespace gan::io
