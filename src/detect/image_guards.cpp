#include "image_guards.hpp"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "ifq/error.hpp"

namespace ifq::detect {

void check_jpeg_huffman_tables(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  unsigned char magic[2] = {0, 0};
  if (!f.read(reinterpret_cast<char*>(magic), 2) || magic[0] != 0xFF || magic[1] != 0xD8) return;
  f.seekg(0);
  const std::vector<unsigned char> b{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
  // stb reads zeros past the end of the file, so do we.
  auto at = [&](size_t i) -> unsigned { return i < b.size() ? b[i] : 0u; };
  size_t pos = 2;
  while (pos + 1 < b.size()) {
    if (b[pos] != 0xFF) {  // stb scans over padding between segments to the next 0xFF; so do we
      ++pos;
      continue;
    }
    const unsigned marker = b[pos + 1];
    if (marker == 0xFF) {  // fill byte
      ++pos;
      continue;
    }
    if (marker == 0xD9) return;  // end of image
    if (marker == 0x01 || marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7)) {  // markers without a length
      pos += 2;
      continue;
    }
    const size_t length = (at(pos + 2) << 8) | at(pos + 3);  // includes its own two bytes
    if (marker == 0xC4) {  // DHT: tables of "class/id, 16 counts, the symbols", as stb reads them
      long remaining = long(length) - 2;
      size_t p = pos + 4;
      while (remaining > 0 && p < b.size()) {
        unsigned codes = 0;
        for (size_t i = 1; i <= 16; ++i) codes += at(p + i);
        if (codes > 256)
          throw Error("cannot read image " + path + ": corrupt JPEG (a Huffman table of " + std::to_string(codes) +
                      " codes; at most 256)");
        remaining -= 17 + long(codes);
        p += 17 + codes;
      }
    }
    pos += 2 + length;
    if (marker == 0xDA) {  // start of scan: skip the entropy-coded data to the next marker
      while (pos + 1 < b.size() &&
             !(b[pos] == 0xFF && b[pos + 1] != 0x00 && b[pos + 1] != 0xFF && (b[pos + 1] < 0xD0 || b[pos + 1] > 0xD7)))
        ++pos;
    }
  }
}

void check_png_chunk_lengths(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  unsigned char head[8] = {0};
  if (!f.read(reinterpret_cast<char*>(head), 8) || head[0] != 0x89 || head[1] != 'P' || head[2] != 'N' ||
      head[3] != 'G')
    return;
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) return;
  uint64_t pos = 8;
  unsigned char chunk[8];
  while (pos + 8 <= size && f.seekg(std::streamoff(pos)) && f.read(reinterpret_cast<char*>(chunk), 8)) {
    const uint64_t length = (uint64_t(chunk[0]) << 24) | (uint64_t(chunk[1]) << 16) | (uint64_t(chunk[2]) << 8) | chunk[3];
    if (pos + 12 + length > size)
      throw Error("cannot read image " + path + ": PNG chunk '" + std::string(reinterpret_cast<char*>(chunk + 4), 4) +
                  "' claims " + std::to_string(length) + " bytes, more than the file holds (truncated or crafted)");
    if (chunk[4] == 'I' && chunk[5] == 'E' && chunk[6] == 'N' && chunk[7] == 'D') return;
    pos += 12 + length;
  }
}

ImageFormat supported_image_format(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error("cannot read image " + path + ": cannot open file");
  unsigned char m[4] = {0, 0, 0, 0};
  f.read(reinterpret_cast<char*>(m), 4);
  if (m[0] == 0xFF && m[1] == 0xD8) return ImageFormat::Jpeg;
  if (m[0] == 0x89 && m[1] == 'P' && m[2] == 'N' && m[3] == 'G') return ImageFormat::Png;
  if (m[0] == 'B' && m[1] == 'M') return ImageFormat::Bmp;
  if (m[0] == 'P' && m[1] >= '1' && m[1] <= '6') return ImageFormat::Pnm;
  throw Error("cannot read image " + path + ": not a JPEG, PNG, BMP or PGM/PPM file");
}

void check_pixels_per_byte(const std::string& path, ImageFormat format, int width, int height) {
  if (format == ImageFormat::Pnm) return;
  std::error_code ec;
  const double bytes = double(std::filesystem::file_size(path, ec));
  if (ec) return;
  const double limit = format == ImageFormat::Jpeg ? 1024.0 : format == ImageFormat::Png ? 16384.0 : 16.0;
  const char* name = format == ImageFormat::Jpeg ? "JPEG" : format == ImageFormat::Png ? "PNG" : "BMP";
  if (double(width) * double(height) > limit * bytes)
    throw Error("cannot read image " + path + ": a " + std::to_string((long long)bytes) + "-byte " + name +
                " cannot hold " + std::to_string(width) + "x" + std::to_string(height) + " pixels (truncated or crafted)");
}

}  // namespace ifq::detect
