// OpenCV's .vec sample file (opencv_createsamples; read by
// opencv_traincascade's CvVecFile): a 12-byte header, then per sample a
// zero byte and vecsize little-endian int16 grey pixels.
#include <cmath>
#include <cstring>
#include <fstream>

#include "ifq/atomic_file.hpp"
#include "ifq/detect/datasets.hpp"
#include "ifq/error.hpp"

namespace ifq::detect {

std::vector<GreyPatch> load_vec(const std::string& file, int width, int height, int64_t max_samples) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error("cannot open " + file);
  in.seekg(0, std::ios::end);
  const int64_t size = in.tellg();
  in.seekg(0);
  unsigned char header[12];
  if (size < 12 || !in.read(reinterpret_cast<char*>(header), 12))
    throw Error(file + ": too short for a .vec header (12 bytes)");
  auto i32 = [&](int o) {
    return int32_t(uint32_t(header[o]) | uint32_t(header[o + 1]) << 8 | uint32_t(header[o + 2]) << 16 |
                   uint32_t(header[o + 3]) << 24);
  };
  const int32_t count = i32(0), vecsize = i32(4);
  if (count < 0 || vecsize <= 0 || vecsize > 1 << 20)
    throw Error(file + ": bad .vec header (count " + std::to_string(count) + ", vecsize " +
                std::to_string(vecsize) + ")");
  if (width == 0 && height == 0) {
    const int side = int(std::lround(std::sqrt(double(vecsize))));
    if (side * side != vecsize)
      throw Error(file + ": vecsize " + std::to_string(vecsize) + " is not square; give the sample width and height");
    width = height = side;
  }
  if (int64_t(width) * height != vecsize)
    throw Error(file + ": vecsize " + std::to_string(vecsize) + " != " + std::to_string(width) + "x" +
                std::to_string(height));
  const int64_t record = 1 + 2 * int64_t(vecsize);
  if (12 + int64_t(count) * record != size)
    throw Error(file + ": " + std::to_string(size) + " bytes, expected " + std::to_string(12 + count * record) +
                " for " + std::to_string(count) + " samples of " + std::to_string(vecsize) + " pixels");
  const int64_t n = max_samples > 0 ? std::min<int64_t>(max_samples, count) : count;
  std::vector<GreyPatch> samples;
  samples.reserve(size_t(n));
  std::vector<unsigned char> buf(static_cast<size_t>(record));
  for (int64_t s = 0; s < n; ++s) {
    if (!in.read(reinterpret_cast<char*>(buf.data()), record))
      throw Error(file + ": truncated at sample " + std::to_string(s));
    GreyPatch p{width, height, std::vector<uint8_t>(size_t(vecsize))};
    for (int k = 0; k < vecsize; ++k) {
      const int16_t v = int16_t(uint16_t(buf[1 + 2 * k]) | uint16_t(buf[2 + 2 * k]) << 8);
      p.pixels[k] = uint8_t(v < 0 ? 0 : v > 255 ? 255 : v);
    }
    samples.push_back(std::move(p));
  }
  return samples;
}

void save_vec(const std::vector<GreyPatch>& samples, const std::string& file) {
  if (samples.empty()) throw Error("save_vec: no samples for " + file);
  const int vecsize = samples[0].width * samples[0].height;
  std::string out;
  auto put32 = [&](int32_t v) {
    for (int b = 0; b < 4; ++b) out += char((uint32_t(v) >> (8 * b)) & 0xff);
  };
  put32(int32_t(samples.size()));
  put32(vecsize);
  put32(0);  // the two int16 fields opencv_createsamples writes as zero
  for (const GreyPatch& p : samples) {
    if (p.width * p.height != vecsize || p.pixels.size() != size_t(vecsize))
      throw Error("save_vec: samples of different sizes for " + file);
    out += char(0);
    for (uint8_t v : p.pixels) {
      out += char(v);
      out += char(0);
    }
  }
  write_file_atomic(file, out);
}

}  // namespace ifq::detect
