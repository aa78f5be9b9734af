#include "train/io/gdcm_codec_guard.h"

#include <cstdint>
#include <cstring>

namespace gan::io {
namespace {

// The markers GDCM's scan treats as having no length field (its hasnolength()).
bool has_no_length(uint16_t marker) {
  return (marker >= 0xFF30 && marker <= 0xFF3F) || marker == 0xFF4F /*SOC*/ ||
         marker == 0xFF93 /*SOD*/ || marker == 0xFFD9 /*EOC*/ || marker == 0xFF92 /*EPH*/;
}
constexpr uint16_t kCOD = 0xFF52, kSOD = 0xFF93;
constexpr uint32_t kJP2C = 0x6A703263;  // 'jp2c': the box holding the codestream

uint64_t be(const unsigned char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = v << 8 | p[i];
  return v;
}

// Mirrors parsej2k_imp: marker segments until SOD, or until a COD that ends the scan.
bool codestream_scan_is_safe(const unsigned char* p, size_t size) {
  size_t pos = 0;
  while (size - pos >= 2) {
    const uint16_t marker = static_cast<uint16_t>(be(p + pos, 2));
    pos += 2;
    if (has_no_length(marker)) {
      if (marker == kSOD) return true;
      continue;
    }
    if (size - pos < 2) return true;  // GDCM stops: no length to read
    const size_t length = be(p + pos, 2);
    pos += 2;
    if (length < 2) return true;  // GDCM stops
    const size_t body = length - 2;
    if (marker == kCOD) {
      if (size - pos < 10) return false;  // GDCM reads bytes 4 and 9 of the segment
      const unsigned char mct = p[pos + 4], transformation = p[pos + 9];
      if (mct > 1 || transformation != 1) return true;  // GDCM's scan ends here
    }
    if (body > size - pos) return false;  // GDCM would step past the end
    pos += body;
  }
  return true;
}

// Mirrors parsejp2_imp: boxes until the 'jp2c' one, whose content is scanned as a codestream.
// GDCM's own count of the bytes left is not reduced when it skips a box, so every read it makes
// is checked here against the real end instead.
bool jp2_scan_is_safe(const unsigned char* p, size_t size) {
  size_t pos = 0;
  size_t gdcm_left = size;  // what GDCM believes is left
  for (;;) {
    if (gdcm_left < 4) return true;
    if (size - pos < 4) return false;
    const uint64_t length32 = be(p + pos, 4);
    pos += 4, gdcm_left -= 4;
    if (gdcm_left < 4) return true;
    if (size - pos < 4) return false;
    const uint32_t type = static_cast<uint32_t>(be(p + pos, 4));
    pos += 4, gdcm_left -= 4;
    uint64_t length = length32;
    if (length32 == 1) {  // a 64-bit length follows; GDCM asserts it is there
      if (gdcm_left < 8 || size - pos < 8) return false;
      length = be(p + pos, 8) - 8;
      pos += 8, gdcm_left -= 8;
    }
    if (type == kJP2C) {
      if (length == 0) length = size - pos + 8;  // "to the end of the file"
      if (length < 8 || length - 8 > size - pos) return false;
      return codestream_scan_is_safe(p + pos, static_cast<size_t>(length - 8));
    }
    if (length < 8 || length - 8 > size - pos) return false;
    pos += static_cast<size_t>(length - 8);
  }
}

}  // namespace

bool gdcm_j2k_scan_is_safe(const char* data, size_t size) {
  // GDCM compares sizeof("...") = 13 bytes (the 12-byte JP2 signature box and the literal's NUL).
  static const char kJp2Magic[] = "\x00\x00\x00\x0C\x6A\x50\x20\x20\x0D\x0A\x87\x0A";
  if (size < sizeof(kJp2Magic)) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(data);
  return std::memcmp(data, kJp2Magic, sizeof(kJp2Magic)) == 0 ? jp2_scan_is_safe(p, size)
                                                               : codestream_scan_is_safe(p, size);
}

bool jpeg_header_is_clean(const char* data, size_t size) {
  const auto* p = reinterpret_cast<const unsigned char*>(data);
  if (size < 2 || p[0] != 0xFF || p[1] != 0xD8) return false;  // SOI first
  size_t pos = 2;
  for (;;) {
    if (pos >= size || p[pos] != 0xFF) return false;  // end of data, or stray bytes
    while (pos < size && p[pos] == 0xFF) ++pos;       // fill bytes are allowed
    if (pos >= size) return false;
    const unsigned char code = p[pos++];
    if (code == 0x00 || code == 0xD8) return false;    // stuffed byte / second SOI
    if (code == 0xD9) return true;                     // EOI: libjpeg fails with an error
    if ((code >= 0xD0 && code <= 0xD7) || code == 0x01) continue;  // no length field
    if (size - pos < 2) return false;
    const size_t length = size_t(p[pos]) << 8 | p[pos + 1];
    if (length < 2 || length > size - pos) return false;
    const unsigned char* body = p + pos + 2;
    const size_t body_length = length - 2;
    if (code == 0xE0 && body_length >= 14 && std::memcmp(body, "JFIF\0", 5) == 0 && body[5] != 1)
      return false;  // JFIF major version other than 1
    const bool sof = code >= 0xC0 && code <= 0xCF && code != 0xC4 && code != 0xC8 && code != 0xCC;
    if (sof && (body_length < 6 || body[0] < 1 || body[0] > 16 || body[5] != 1))
      return false;  // GDCM asserts on a precision outside 1..16; one grayscale component
    if (code == 0xEE && body_length >= 12 && std::memcmp(body, "Adobe", 5) == 0 && body[11] > 2)
      return false;  // unknown Adobe colour transform
    pos += length;
    if (code == 0xDA) return true;  // SOS: the header ends here
  }
}

bool rle_header_is_sound(const char* data, size_t size, int bits_allocated) {
  if (size < 64 || bits_allocated % 8 != 0) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(data);
  auto u32 = [&](int i) {  // little endian
    return uint32_t(p[4 * i]) | uint32_t(p[4 * i + 1]) << 8 | uint32_t(p[4 * i + 2]) << 16 |
           uint32_t(p[4 * i + 3]) << 24;
  };
  const uint32_t segments = u32(0);
  if (segments != static_cast<uint32_t>(bits_allocated / 8)) return false;
  for (uint32_t i = 0; i < segments; ++i) {
    const uint32_t offset = u32(1 + static_cast<int>(i));
    if (offset >= size || (i == 0 ? offset != 64 : offset <= u32(static_cast<int>(i)))) return false;
  }
  return true;
}

}  // namespace gan::io
