// WIDER FACE bbx_gt files and the text form of the easy/medium/hard lists.
#include <cmath>
#include <cstdio>
#include <sstream>

#include "ifq/atomic_file.hpp"
#include "ifq/detect/datasets.hpp"
#include "text_lines.hpp"

namespace ifq::detect {

std::vector<WiderImage> load_wider_gt(const std::string& file) {
  TextLines in(file);
  std::vector<WiderImage> images;
  std::vector<double> v;
  while (true) {
    in.skip_blank();
    if (in.done()) break;
    WiderImage image;
    image.path = trim(in.next("an image path"));
    if (parse_numbers(image.path, v))
      in.fail("expected an image path, got numbers \"" + image.path + "\"");
    long long count = 0;
    if (!parse_count(in.next("a face count"), count))
      in.fail("expected a face count (non-negative integer) for " + image.path);
    for (long long k = 0; k < count; ++k) {
      if (!parse_numbers(in.next("a face line"), v) || v.size() != 10)
        in.fail("expected 10 numbers \"x y w h blur expression illumination invalid occlusion pose\"");
      if (v[2] < 0 || v[3] < 0) in.fail("negative box width or height");
      // The six attributes are small codes (0..2 in the release); a value
      // that is not a whole number in 0..255 was once cast to int unchecked
      // (undefined for 3e92; found by fuzz/wider.cpp).
      for (int a = 4; a < 10; ++a)
        if (!(v[a] >= 0 && v[a] <= 255) || v[a] != std::floor(v[a]))
          in.fail("face attribute " + std::to_string(a - 3) + " of 6 is not a whole number from 0 to 255");
      WiderFace face;
      face.box = Box{v[0], v[1], v[2], v[3]};
      face.blur = int(v[4]);
      face.expression = int(v[5]);
      face.illumination = int(v[6]);
      face.invalid = int(v[7]);
      face.occlusion = int(v[8]);
      face.pose = int(v[9]);
      image.faces.push_back(face);
    }
    // The released files follow a zero count with one all-zero face line.
    if (count == 0 && in.peek() && parse_numbers(*in.peek(), v) && v.size() == 10) in.next("a face line");
    images.push_back(std::move(image));
  }
  return images;
}

namespace {
// Whole pixels as integers (as the released files have); fractional boxes
// (teacher labels, rescaled photos) keep two decimals instead of being cut.
std::string pixel_text(double v) {
  if (v == std::floor(v) && std::abs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}
}  // namespace

void save_wider_gt(const std::vector<WiderImage>& images, const std::string& file) {
  std::ostringstream out;
  for (const WiderImage& image : images) {
    out << image.path << "\n" << image.faces.size() << "\n";
    for (const WiderFace& f : image.faces) {
      out << pixel_text(f.box.x) << " " << pixel_text(f.box.y) << " " << pixel_text(f.box.w) << " "
          << pixel_text(f.box.h) << " "
          << f.blur << " " << f.expression << " " << f.illumination << " " << f.invalid << " "
          << f.occlusion << " " << f.pose << " \n";
    }
    if (image.faces.empty()) out << "0 0 0 0 0 0 0 0 0 0 \n";
  }
  write_file_atomic(file, out.str());
}

WiderSubset load_wider_subset(const std::string& file) {
  TextLines in(file);
  WiderSubset subset;
  std::vector<double> v;
  while (true) {
    in.skip_blank();
    if (in.done()) break;
    const std::string path = trim(in.next("an image path"));
    long long count = 0;
    if (!parse_count(in.next("a count"), count)) in.fail("expected a count of kept faces for " + path);
    std::vector<int> keep;
    for (long long k = 0; k < count; ++k) {
      long long index = 0;
      if (!parse_count(in.next("a face index"), index) || index < 1)
        in.fail("expected a 1-based face index");
      keep.push_back(int(index - 1));
    }
    subset.paths.push_back(path);
    subset.keep.push_back(std::move(keep));
  }
  return subset;
}

}  // namespace ifq::detect
