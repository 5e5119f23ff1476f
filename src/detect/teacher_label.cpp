// Teacher labelling of photos and the merge rule (teacher_label.hpp).
#include "ifq/detect/teacher_label.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <map>
#include <ostream>

#include "ifq/error.hpp"
#include "text_lines.hpp"

namespace ifq::detect {
namespace fs = std::filesystem;

namespace {

bool is_image_name(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp";
}

std::string normal_path(const std::string& path) { return fs::path(path).lexically_normal().generic_string(); }

}  // namespace

ImageList list_images(const std::string& dir_or_list) {
  std::error_code ec;
  ImageList list;
  if (fs::is_directory(dir_or_list, ec)) {
    list.root = dir_or_list;
    const auto options = fs::directory_options::skip_permission_denied;
    for (fs::recursive_directory_iterator it(dir_or_list, options, ec), end; !ec && it != end; it.increment(ec)) {
      std::error_code file_ec;
      if (it->is_regular_file(file_ec) && is_image_name(it->path()))
        list.paths.push_back(it->path().lexically_relative(dir_or_list).generic_string());
    }
    if (ec) throw Error("cannot list images below " + dir_or_list + ": " + ec.message());
    // Directory order is arbitrary; sorted, every run labels the same list.
    std::sort(list.paths.begin(), list.paths.end());
    if (list.paths.empty()) throw Error("found no images (*.jpg, *.jpeg, *.png, *.bmp) below " + dir_or_list);
    return list;
  }
  if (!fs::is_regular_file(dir_or_list, ec))
    throw Error("image list " + dir_or_list + ": no such directory or list file");
  list.root = fs::path(dir_or_list).parent_path().string();
  TextLines in(dir_or_list);
  while (true) {
    in.skip_blank();
    if (in.done()) break;
    list.paths.push_back(trim(in.next("an image path")));
  }
  if (list.paths.empty()) throw Error("image list " + dir_or_list + " names no images");
  return list;
}

std::vector<WiderImage> teacher_label(Detector& teacher, const std::vector<std::string>& image_paths_relative,
                                      const std::string& images_root, TeacherLabelStats* stats,
                                      const TeacherLabelOptions& options) {
  TeacherLabelStats local;
  TeacherLabelStats& st = stats ? *stats : local;
  st = TeacherLabelStats{};
  const int total = int(image_paths_relative.size());
  std::vector<WiderImage> out;
  for (int i = 0; i < total; ++i) {
    const std::string& rel = image_paths_relative[size_t(i)];
    Image image;
    try {
      image = load_image((fs::path(images_root.empty() ? "." : images_root) / rel).string());
    } catch (const Error& e) {
      ++st.skipped;
      st.skipped_paths.push_back(rel);
      if (options.log) *options.log << "skipped " << e.what() << "\n";
      if (options.on_image) options.on_image(i + 1, total);
      continue;
    }
    const auto t0 = std::chrono::steady_clock::now();
    const std::vector<Detection> dets = teacher.detect(image);
    st.detect_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    WiderImage wi;
    wi.path = rel;
    ImageDetections scored{rel, {}};
    for (const Detection& d : dets) {
      WiderFace face;
      face.box = clip_box(d.box, image.width, image.height);
      if (face.box.area() <= 0) continue;
      scored.detections.push_back({face.box, d.score, d.class_id});
      if (d.score >= options.label_min_score) wi.faces.push_back(face);
    }
    if (options.scored) options.scored->push_back(std::move(scored));
    ++st.labelled;
    st.faces += (long long)wi.faces.size();
    out.push_back(std::move(wi));
    if (options.on_image) options.on_image(i + 1, total);
  }
  return out;
}

std::vector<WiderImage> merge_teacher_labels(const std::vector<WiderImage>& hand,
                                             const std::vector<WiderImage>& teacher, double max_iou,
                                             MergeStats* stats) {
  MergeStats local;
  MergeStats& st = stats ? *stats : local;
  st = MergeStats{};
  std::vector<WiderImage> out = hand;
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < hand.size(); ++i)
    if (!index.emplace(normal_path(hand[i].path), i).second)
      throw Error("merging teacher labels: " + hand[i].path + " appears twice in the hand labels");
  for (const WiderImage& t : teacher) {
    const auto it = index.find(normal_path(t.path));
    if (it == index.end())
      throw Error("merging teacher labels: " + t.path + " has teacher boxes but no hand labels");
    ++st.images;
    std::vector<WiderFace>& faces = out[it->second].faces;  // hand boxes, then those added so far
    for (const WiderFace& tf : t.faces) {
      ++st.teacher_boxes;
      const bool overlaps = std::any_of(faces.begin(), faces.end(),
                                        [&](const WiderFace& f) { return iou(f.box, tf.box) >= max_iou; });
      if (overlaps) {
        ++st.overlapping;
        continue;
      }
      WiderFace added;
      added.box = tf.box;  // attributes 0: a plain, valid face
      faces.push_back(added);
      ++st.added;
    }
  }
  return out;
}

}  // namespace ifq::detect
