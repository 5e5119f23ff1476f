#include "ifq/detect/eval_inputs.hpp"

#include <cmath>
#include <filesystem>
#include <map>

#include "ifq/detect/image.hpp"
#include "ifq/error.hpp"

namespace ifq::detect {
namespace {

std::string without_extension(const std::string& path) {
  std::filesystem::path p(path);
  p.replace_extension();
  return p.generic_string();
}

// True when `tail` ends `whole` right after a '/'.
bool ends_at_boundary(const std::string& whole, const std::string& tail) {
  return whole.size() > tail.size() && whole.compare(whole.size() - tail.size(), tail.size(), tail) == 0 &&
         whole[whole.size() - tail.size() - 1] == '/';
}

}  // namespace

std::vector<TruthImage> truth_from_fddb(const std::vector<FddbImage>& images, const std::string& image_ext) {
  std::vector<TruthImage> out;
  for (const FddbImage& im : images) {
    TruthImage t{im.name, im.name + image_ext, {}, {}};
    for (const Ellipse& e : im.faces) t.faces.push_back(e);
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<TruthImage> truth_from_wider(const std::vector<WiderImage>& images, double min_face) {
  std::vector<TruthImage> out;
  for (const WiderImage& im : images) {
    TruthImage t{without_extension(im.path), im.path, {}, {}};
    for (const WiderFace& f : im.faces) {
      if (f.invalid || f.box.size() < min_face) t.ignore.push_back(f.box);
      else t.faces.push_back(f.box);
    }
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<TruthImage> truth_from_imglab(const std::vector<ImglabImage>& images) {
  std::vector<TruthImage> out;
  for (const ImglabImage& im : images) {
    TruthImage t{without_extension(im.file), im.file, {}, {}};
    for (const ImglabBox& b : im.boxes)
      if (!b.ignore) t.faces.push_back(b.box);
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<std::vector<Detection>> match_detections(const std::vector<TruthImage>& truth,
                                                     const std::vector<ImageDetections>& detections) {
  std::map<std::string, size_t> by_key;
  for (size_t i = 0; i < truth.size(); ++i)
    if (!by_key.emplace(truth[i].key, i).second) throw Error("ground truth lists image " + truth[i].key + " twice");
  std::vector<std::vector<Detection>> out(truth.size());
  std::vector<char> seen(truth.size(), 0);
  for (const ImageDetections& d : detections) {
    std::string name = d.name;
    while (name.rfind("./", 0) == 0) name = name.substr(2);
    auto it = by_key.find(name);
    if (it == by_key.end()) it = by_key.find(without_extension(name));
    size_t index = truth.size();
    if (it != by_key.end()) {
      index = it->second;
    } else {
      // A unique truth key that ends the name at a path boundary, or that the
      // name ends (WIDER result files name images without their event folder).
      const std::string stem = without_extension(name);
      for (const auto& [key, i] : by_key) {
        if (ends_at_boundary(stem, key) || ends_at_boundary(key, stem)) {
          if (index != truth.size()) throw Error("detections for " + d.name + " match several ground-truth images");
          index = i;
        }
      }
    }
    if (index == truth.size()) throw Error("detections for " + d.name + ", an image without ground truth");
    if (seen[index]++) throw Error("detections for " + d.name + " appear twice");
    out[index] = d.detections;
  }
  return out;
}

std::vector<FddbEvalImage> fddb_inputs(const std::vector<TruthImage>& truth,
                                       const std::vector<ImageDetections>& detections,
                                       const std::string& images_dir) {
  const auto dets = match_detections(truth, detections);
  std::vector<FddbEvalImage> out;
  out.reserve(truth.size());
  for (size_t i = 0; i < truth.size(); ++i) {
    FddbEvalImage im;
    im.name = truth[i].key;
    read_image_size((std::filesystem::path(images_dir) / truth[i].image_file).string(), im.width, im.height);
    im.faces = truth[i].faces;
    im.ignore = truth[i].ignore;
    im.detections = dets[i];
    out.push_back(std::move(im));
  }
  return out;
}

}  // namespace ifq::detect
