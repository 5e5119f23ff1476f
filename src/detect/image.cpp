// Image reading/writing with stb (Debian libstb), resizing and conversion.
#include "ifq/detect/image.hpp"

#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

#include <algorithm>
#include <cmath>
#include <cctype>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "ifq/atomic_file.hpp"
#include "ifq/error.hpp"
#include "image_guards.hpp"

namespace ifq::detect {
namespace {

std::string lower_extension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return ext;
}

void append_bytes(void* context, void* data, int size) {
  auto* out = static_cast<std::string*>(context);
  out->append(static_cast<const char*>(data), size_t(size));
}

// Largest image we accept: keeps width * height * 3 well inside size_t and
// refuses decompression bombs with a message instead of an allocation failure.
constexpr long long kMaxPixels = 1LL << 28;

// stb's PNM reader accepts what it should not: a maxval of 0, and pixel data
// shorter than the header promises (it then hands back uninitialised
// memory). Binary PNMs (P5 grey, P6 colour) are checked here first: a
// positive size, maxval 1..255 (stb reads one byte per sample) and every
// pixel byte present. Returns quietly for any other format.
void check_pnm(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  char magic[2] = {0, 0};
  if (!f.read(magic, 2) || magic[0] != 'P' || (magic[1] != '5' && magic[1] != '6')) return;
  long long fields[3] = {0, 0, 0};  // width, height, maxval
  for (long long& v : fields) {
    int c = f.get();
    while (c != EOF && (std::isspace(c) || c == '#')) {
      if (c == '#') while (c != EOF && c != '\n') c = f.get();
      c = f.get();
    }
    if (c == '-') throw Error("cannot read image " + path + ": negative size or maxval in the PNM header");
    if (c == EOF || !std::isdigit(c)) throw Error("cannot read image " + path + ": malformed PNM header");
    for (; c != EOF && std::isdigit(c); c = f.get()) v = std::min(v * 10 + (c - '0'), 1LL << 40);
    if (c == EOF) throw Error("cannot read image " + path + ": PNM header ends early");
  }
  if (fields[0] <= 0 || fields[1] <= 0)
    throw Error("cannot read image " + path + ": PNM size " + std::to_string(fields[0]) + "x" +
                std::to_string(fields[1]) + " is empty");
  if (fields[2] < 1 || fields[2] > 255)
    throw Error("cannot read image " + path + ": PNM maxval " + std::to_string(fields[2]) + " is not 1..255");
  // Refused here, before stb parses the header: its integer reader overflows
  // a signed int on a 10-digit size (found by fuzz/image.cpp).
  if (double(fields[0]) * double(fields[1]) > double(kMaxPixels))
    throw Error("cannot read image " + path + ": PNM size " + std::to_string(fields[0]) + "x" +
                std::to_string(fields[1]) + " is too large");
  const long long need = fields[0] * fields[1] * (magic[1] == '6' ? 3 : 1);
  const std::streamoff data_begin = f.tellg();
  f.seekg(0, std::ios::end);
  const long long have = (long long)(f.tellg() - data_begin);
  if (have < need)
    throw Error("cannot read image " + path + ": PNM pixel data is truncated (" + std::to_string(have) + " of " +
                std::to_string(need) + " bytes)");
}

// Every check that must run before stb reads a header: the format, then the
// one check for that format. Returns the format.
ImageFormat refuse_hostile_file(const std::string& path) {
  const ImageFormat format = supported_image_format(path);
  switch (format) {
    case ImageFormat::Pnm: check_pnm(path); break;
    case ImageFormat::Png: check_png_chunk_lengths(path); break;
    case ImageFormat::Jpeg: check_jpeg_huffman_tables(path); break;
    case ImageFormat::Bmp: break;
  }
  return format;
}

// stbi_info's size with a top-down BMP's negative height made positive (the
// size stbi_load decodes; a negative one slipped past the size checks).
bool stb_header_size(const std::string& path, int& width, int& height) {
  int comp = 0;
  if (!stbi_info(path.c_str(), &width, &height, &comp)) return false;
  if (width == INT_MIN || height == INT_MIN)
    throw Error("cannot read image " + path + ": its header size is out of range");
  width = std::abs(width);
  height = std::abs(height);
  return true;
}

}  // namespace

Image make_image(int width, int height, uint8_t r, uint8_t g, uint8_t b) {
  if (width <= 0 || height <= 0 || (long long)width * height > kMaxPixels)
    throw Error("image size " + std::to_string(width) + "x" + std::to_string(height) + " out of range");
  Image im{width, height, std::vector<uint8_t>(size_t(width) * height * 3)};
  for (size_t i = 0; i < im.rgb.size(); i += 3) {
    im.rgb[i] = r;
    im.rgb[i + 1] = g;
    im.rgb[i + 2] = b;
  }
  return im;
}

void read_image_size(const std::string& path, int& width, int& height) {
  refuse_hostile_file(path);
  if (!stb_header_size(path, width, height)) {
    const char* why = stbi_failure_reason();
    throw Error("cannot read image " + path + ": " + (why ? why : "unknown format"));
  }
}

Image load_image(const std::string& path) {
  const ImageFormat format = refuse_hostile_file(path);
  int w = 0, h = 0, comp = 0;
  if (stb_header_size(path, w, h)) {
    if ((long long)w * h > kMaxPixels)
      throw Error("cannot read image " + path + ": " + std::to_string(w) + "x" + std::to_string(h) + " is too large");
    check_pixels_per_byte(path, format, w, h);
  }
  unsigned char* data = stbi_load(path.c_str(), &w, &h, &comp, 3);
  if (!data) {
    const char* why = stbi_failure_reason();
    throw Error("cannot read image " + path + ": " + (why ? why : "unknown format"));
  }
  if (w <= 0 || h <= 0) {
    stbi_image_free(data);
    throw Error("cannot read image " + path + ": its size " + std::to_string(w) + "x" + std::to_string(h) +
                " is empty");
  }
  Image im{w, h, std::vector<uint8_t>(data, data + size_t(w) * h * 3)};
  stbi_image_free(data);
  return im;
}

void save_image(const Image& image, const std::string& path, int jpeg_quality) {
  if (jpeg_quality < 1 || jpeg_quality > 100)
    throw Error("cannot write " + path + ": JPEG quality " + std::to_string(jpeg_quality) + " is not 1..100");
  if (image.width <= 0 || image.height <= 0 || image.rgb.size() != size_t(image.width) * image.height * 3)
    throw Error("save_image: inconsistent image for " + path);
  const std::string ext = lower_extension(path);
  std::string bytes;
  int ok = 0;
  if (ext == ".png") {
    ok = stbi_write_png_to_func(append_bytes, &bytes, image.width, image.height, 3, image.rgb.data(),
                                image.width * 3);
  } else if (ext == ".jpg" || ext == ".jpeg") {
    ok = stbi_write_jpg_to_func(append_bytes, &bytes, image.width, image.height, 3, image.rgb.data(), jpeg_quality);
  } else {
    throw Error("cannot write " + path + ": unknown image extension (use .png, .jpg or .jpeg)");
  }
  if (!ok) throw Error("cannot write " + path + ": image encoder failed");
  write_file_atomic(path, bytes);
}

void sample_bilinear(const Image& src, double fx, double fy, uint8_t out[3]) {
  fx = std::clamp(fx, 0.0, double(src.width - 1));
  fy = std::clamp(fy, 0.0, double(src.height - 1));
  const int x0 = int(fx), x1 = std::min(x0 + 1, src.width - 1);
  const int y0 = int(fy), y1 = std::min(y0 + 1, src.height - 1);
  const double wx = fx - x0, wy = fy - y0;
  for (int c = 0; c < 3; ++c) {
    const double top = src.at(x0, y0)[c] * (1 - wx) + src.at(x1, y0)[c] * wx;
    const double bottom = src.at(x0, y1)[c] * (1 - wx) + src.at(x1, y1)[c] * wx;
    out[c] = uint8_t(std::lround(top * (1 - wy) + bottom * wy));
  }
}

Image resize_bilinear(const Image& src, int width, int height) {
  Image dst = make_image(width, height);
  const double sx = double(src.width) / width, sy = double(src.height) / height;
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) sample_bilinear(src, (x + 0.5) * sx - 0.5, (y + 0.5) * sy - 0.5, dst.at(x, y));
  return dst;
}

Image crop(const Image& image, int x0, int y0, int w, int h) {
  if (x0 < 0 || y0 < 0 || w <= 0 || h <= 0 || x0 + w > image.width || y0 + h > image.height)
    throw Error("crop: window outside the image");
  Image out = make_image(w, h);
  for (int y = 0; y < h; ++y) std::copy_n(image.at(x0, y0 + y), size_t(w) * 3, out.at(0, y));
  return out;
}

Image mirror_horizontal(const Image& image) {
  Image out = make_image(image.width, image.height);
  for (int y = 0; y < image.height; ++y)
    for (int x = 0; x < image.width; ++x) std::copy_n(image.at(image.width - 1 - x, y), 3, out.at(x, y));
  return out;
}

Image resize_area_bilinear(const Image& image, int width, int height) {
  if (image.width == width && image.height == height) return image;
  const int factor = std::min(image.width / width, image.height / height);
  return resize_bilinear(factor >= 2 ? shrink_by(image, factor) : image, width, height);
}

Image shrink_by(const Image& src, int factor) {
  if (factor <= 1) return src;
  const int w = (src.width + factor - 1) / factor, h = (src.height + factor - 1) / factor;
  Image dst = make_image(w, h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const int x1 = std::min(src.width, (x + 1) * factor), y1 = std::min(src.height, (y + 1) * factor);
      int sum[3] = {0, 0, 0}, n = 0;
      for (int yy = y * factor; yy < y1; ++yy)
        for (int xx = x * factor; xx < x1; ++xx, ++n)
          for (int c = 0; c < 3; ++c) sum[c] += src.at(xx, yy)[c];
      for (int c = 0; c < 3; ++c) dst.at(x, y)[c] = uint8_t((sum[c] + n / 2) / n);
    }
  return dst;
}

std::vector<uint8_t> to_chw(const Image& image, int channels) {
  if (channels != 1 && channels != 3) throw Error("network input must have 1 or 3 channels, not " + std::to_string(channels));
  const size_t plane = size_t(image.width) * image.height;
  std::vector<uint8_t> out(plane * size_t(channels));
  for (size_t i = 0; i < plane; ++i) {
    const uint8_t* p = &image.rgb[i * 3];
    if (channels == 3) {
      out[i] = p[0];
      out[plane + i] = p[1];
      out[2 * plane + i] = p[2];
    } else {
      out[i] = uint8_t((299 * p[0] + 587 * p[1] + 114 * p[2] + 500) / 1000);
    }
  }
  return out;
}

Image to_grey(const Image& image) {
  Image out = image;
  for (size_t i = 0; i < out.rgb.size(); i += 3) {
    const uint8_t y = uint8_t((299 * out.rgb[i] + 587 * out.rgb[i + 1] + 114 * out.rgb[i + 2] + 500) / 1000);
    out.rgb[i] = out.rgb[i + 1] = out.rgb[i + 2] = y;
  }
  return out;
}

}  // namespace ifq::detect
