#include <catch2/catch.hpp>
#include <string>

#include "train/io/gdcm_codec_guard.h"

using gan::io::gdcm_j2k_scan_is_safe;

namespace {

bool safe(const std::string& s) { return gdcm_j2k_scan_is_safe(s.data(), s.size()); }

// SOC, a SIZ segment of `siz_length`, a COD segment (lossless: byte 9 = 1), SOT..SOD, data, EOC.
std::string codestream(int siz_length = 10) {
  std::string s("\xFF\x4F", 2);
  s += std::string("\xFF\x51", 2) + char(siz_length >> 8) + char(siz_length & 0xFF) + std::string(8, '\0');
  s += std::string("\xFF\x52\x00\x0C", 4) + std::string("\x00\x00\x00\x01\x00\x00\x00\x00\x00\x01", 10);
  s += std::string("\xFF\x93", 2) + std::string(16, '\x55') + std::string("\xFF\xD9", 2);
  return s;
}

std::string box(const std::string& type, const std::string& body) {
  const size_t n = body.size() + 8;
  return std::string{char(n >> 24), char(n >> 16), char(n >> 8), char(n)} + type + body;
}

}  // namespace

TEST_CASE("GDCM's JPEG 2000 marker scan is checked to stay in bounds", "[dicom]") {
  CHECK(safe(codestream()));
  CHECK_FALSE(safe(codestream(0x7000)));      // a segment running past the end
  CHECK_FALSE(safe(codestream().substr(0, 12)));  // shorter than GDCM's 13-byte magic compare
  std::string short_cod = codestream().substr(0, 14) + std::string("\xFF\x52\x00\x04\x00\x00", 6);
  CHECK_FALSE(safe(short_cod));                // COD bytes 4 and 9 beyond the end

  const std::string signature("\x00\x00\x00\x0C\x6A\x50\x20\x20\x0D\x0A\x87\x0A", 12);
  CHECK(safe(signature + box("ftyp", "jp2 ") + box("jp2c", codestream())));
  CHECK_FALSE(safe(signature + box("ftyp", "jp2 ") + box("jp2c", codestream(0x7000))));
  std::string long_box = signature + box("ftyp", "jp2 ");
  long_box += std::string("\x00\x10\x00\x00", 4) + "jp2h";  // claims 1 MiB
  CHECK_FALSE(safe(long_box + std::string(8, '\0')));
  std::string extended = signature + std::string("\x00\x00\x00\x01", 4) + "jp2h" + std::string(3, '\0');
  CHECK_FALSE(safe(extended));                 // 64-bit length cut short: GDCM asserts
}

TEST_CASE("RLE headers are checked before GDCM indexes its segment table with them", "[dicom]") {
  auto header = [](uint32_t segments, std::initializer_list<uint32_t> offsets, size_t size) {
    std::string s(size, '\0');
    auto put = [&](int i, uint32_t v) {
      for (int b = 0; b < 4; ++b) s[4 * i + b] = static_cast<char>(v >> (8 * b));
    };
    put(0, segments);
    int i = 1;
    for (uint32_t o : offsets) put(i++, o);
    return s;
  };
  using gan::io::rle_header_is_sound;
  std::string ok = header(2, {64, 100}, 200);
  CHECK(rle_header_is_sound(ok.data(), ok.size(), 16));
  CHECK_FALSE(rle_header_is_sound(ok.data(), ok.size(), 8));     // 2 segments for 8-bit pixels
  std::string many = header(0x01000000, {64}, 200);              // indexes far past the table
  CHECK_FALSE(rle_header_is_sound(many.data(), many.size(), 16));
  std::string none = header(0, {}, 200);                         // GDCM divides by it
  CHECK_FALSE(rle_header_is_sound(none.data(), none.size(), 8));
  std::string outside = header(2, {64, 500}, 200);
  CHECK_FALSE(rle_header_is_sound(outside.data(), outside.size(), 16));
  std::string backwards = header(2, {64, 64}, 200);
  CHECK_FALSE(rle_header_is_sound(backwards.data(), backwards.size(), 16));
  CHECK_FALSE(rle_header_is_sound(ok.data(), 40, 16));           // shorter than the header
}

TEST_CASE("JPEG headers that would make libjpeg warn are refused before GDCM asserts on it", "[dicom]") {
  using gan::io::jpeg_header_is_clean;
  auto clean = [](const std::string& s) { return jpeg_header_is_clean(s.data(), s.size()); };
  const std::string soi("\xFF\xD8", 2);
  const std::string sof("\xFF\xC3\x00\x0B\x10\x00\x0C\x00\x10\x01\x01\x11\x00", 13);  // lossless, 16x12
  const std::string sos("\xFF\xDA\x00\x08\x01\x01\x00\x01\x00\x00", 10);
  CHECK(clean(soi + sof + sos + "data"));
  CHECK(clean(soi + "\xFF\xFF" + sof + sos));                 // fill bytes
  CHECK_FALSE(clean(soi + "xyz" + sof + sos));                  // extraneous bytes before a marker
  CHECK_FALSE(clean(soi + sof));                                // ends before SOS
  CHECK_FALSE(clean(soi + sof.substr(0, 8)));                   // ends inside a segment
  CHECK_FALSE(clean(std::string(1, '\0') + soi + sof + sos));  // no SOI first
  std::string jfif2("\xFF\xE0\x00\x10JFIF\0\x02\x01\x00\x00\x01\x00\x01\x00\x00", 18);
  CHECK_FALSE(clean(soi + jfif2 + sof + sos));                  // JFIF 2.x
  jfif2[9] = 1;  // major version
  CHECK(clean(soi + jfif2 + sof + sos));
  std::string sof_bad = sof;
  sof_bad[4] = 0;  // precision 0: GDCM asserts
  CHECK_FALSE(clean(soi + sof_bad + sos));
  sof_bad = sof;
  sof_bad[9] = 3;  // three components
  CHECK_FALSE(clean(soi + sof_bad + sos));
}
