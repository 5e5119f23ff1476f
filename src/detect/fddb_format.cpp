// FDDB fold lists, ellipse lists and detection lists (rectangles or ellipses).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "ifq/atomic_file.hpp"
#include "ifq/detect/box_style.hpp"
#include "ifq/detect/datasets.hpp"
#include "text_lines.hpp"

namespace ifq::detect {

std::vector<FddbImage> load_fddb_ellipses(const std::string& file) {
  TextLines in(file);
  std::vector<FddbImage> images;
  std::vector<double> v;
  while (true) {
    in.skip_blank();
    if (in.done()) break;
    FddbImage image;
    image.name = trim(in.next("an image name"));
    long long count = 0;
    if (!parse_count(in.next("a face count"), count))
      in.fail("expected a face count (non-negative integer) for " + image.name);
    for (long long k = 0; k < count; ++k) {
      // The official files end each ellipse line with "1" (and two spaces).
      if (!parse_numbers(in.next("an ellipse line"), v) || (v.size() != 5 && v.size() != 6))
        in.fail("expected \"major_radius minor_radius angle center_x center_y 1\"");
      if (v[0] <= 0 || v[1] <= 0) in.fail("ellipse radii must be positive");
      image.faces.push_back(Ellipse{v[0], v[1], v[2], v[3], v[4]});
    }
    images.push_back(std::move(image));
  }
  return images;
}

std::vector<std::string> load_fddb_fold(const std::string& file) {
  TextLines in(file);
  std::vector<std::string> names;
  while (true) {
    in.skip_blank();
    if (in.done()) break;
    const std::string name = trim(in.next("an image name"));
    if (name.find_first_of(" \t") != std::string::npos)
      in.fail("expected one image name per line, got \"" + name + "\"");
    names.push_back(name);
  }
  return names;
}

namespace {

void read_detection_blocks(TextLines& in, std::vector<ImageDetections>& out) {
  std::vector<double> v;
  while (true) {
    in.skip_blank();
    if (in.done()) break;
    ImageDetections image;
    image.name = trim(in.next("an image name"));
    long long count = 0;
    if (!parse_count(in.next("a detection count"), count))
      in.fail("expected a detection count (non-negative integer) for " + image.name);
    for (long long k = 0; k < count; ++k) {
      if (!parse_numbers(in.next("a detection line"), v) || v.size() != 5)
        in.fail("expected \"left top width height score\"");
      if (v[2] < 0 || v[3] < 0) in.fail("negative detection width or height");
      image.detections.push_back(Detection{Box{v[0], v[1], v[2], v[3]}, v[4], 0});
    }
    out.push_back(std::move(image));
  }
}

}  // namespace

std::vector<ImageDetections> load_detections(const std::string& file) {
  TextLines in(file);
  std::vector<ImageDetections> out;
  read_detection_blocks(in, out);
  return out;
}

std::vector<ImageDetections> load_detection_dir(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error("not a directory: " + dir);
  std::vector<std::string> files;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".txt") files.push_back(it->path().string());
  }
  if (ec) throw Error("cannot list " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  std::vector<ImageDetections> out;
  for (const std::string& f : files) {
    TextLines in(f);
    read_detection_blocks(in, out);
  }
  return out;
}

namespace {

// Name line, count line, then format(detection) for each, written atomically.
template <typename Format>
void save_detection_blocks(const std::vector<ImageDetections>& images, const std::string& file, Format format) {
  std::string out;
  for (const ImageDetections& image : images) {
    out += image.name + "\n" + std::to_string(image.detections.size()) + "\n";
    for (const Detection& d : image.detections) out += format(d);
  }
  write_file_atomic(file, out);
}

}  // namespace

void save_detections(const std::vector<ImageDetections>& images, const std::string& file) {
  save_detection_blocks(images, file, [](const Detection& d) {
    // Scores keep 9 significant digits so a threshold sweep separates them.
    char line[160];
    std::snprintf(line, sizeof line, "%.2f %.2f %.2f %.2f %.9g\n", d.box.x, d.box.y, d.box.w, d.box.h, d.score);
    return std::string(line);
  });
}

void save_detections_as_ellipses(const std::vector<ImageDetections>& images, const std::string& file) {
  save_detection_blocks(images, file, [](const Detection& d) {
    const Ellipse e = ellipse_in_box(d.box);
    char line[200];
    std::snprintf(line, sizeof line, "%.2f %.2f %.6f %.2f %.2f %.9g\n", e.major, e.minor, e.angle, e.cx, e.cy,
                  d.score);
    return std::string(line);
  });
}

}  // namespace ifq::detect
