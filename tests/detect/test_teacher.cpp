// Teacher labelling: the merge rule, image listing, teacher_label with a fake
// detector, and — where the build has OpenCV dnn and the shared teacher files
// exist — the YuNet/UltraFace decoders on a real photo and the rejection of
// files that are not face detectors.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "ifq/detect/datasets.hpp"
#include "ifq/detect/image.hpp"
#include "ifq/detect/teacher_detector.hpp"
#include "ifq/detect/teacher_label.hpp"
#include "ifq/error.hpp"
#include "../core/temp_dir.hpp"
#include "run_ifq.hpp"

namespace fs = std::filesystem;
using namespace ifq::detect;

namespace {


void write_text(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

WiderFace face(double x, double y, double w, double h, int invalid = 0) {
  WiderFace f;
  f.box = Box{x, y, w, h};
  f.invalid = invalid;
  return f;
}

// The shared real-face data (SOURCES.md there), next to the repository;
// IFQ_FACES_DATA overrides.
std::string faces_data() {
  if (const char* env = std::getenv("IFQ_FACES_DATA")) return env;
  return (fs::path(IFQ_SOURCE_DIR) / ".." / "shared" / "data" / "faces").lexically_normal().string();
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

using ifq::testing::run_ifq;

// Returns fixed boxes per image width, so tests know what each image gets.
class FakeDetector : public Detector {
 public:
  std::vector<Detection> detect(const Image& image) override {
    ++calls;
    return {Detection{Box{2, 2, 10, 10}, 0.9, 0},
            Detection{Box{double(image.width) - 5, 0, 10, 10}, 0.8, 0},  // half outside: clipped
            Detection{Box{-20, -20, 5, 5}, 0.7, 0}};                      // wholly outside: dropped
  }
  int calls = 0;
};

// ---- merge rule ----------------------------------------------------------

TEST(TeacherMerge, AddsOnlyBoxesThatOverlapNothing) {
  const std::vector<WiderImage> hand{{"a.jpg", {face(0, 0, 10, 10)}}, {"b.jpg", {}}};
  const std::vector<WiderImage> teacher{
      {"a.jpg", {face(1, 1, 10, 10), face(50, 50, 10, 10), face(52, 52, 10, 10), face(9, 0, 10, 10)}},
      {"b.jpg", {face(5, 5, 20, 20)}}};
  MergeStats st;
  const auto out = merge_teacher_labels(hand, teacher, 0.3, &st);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].path, "a.jpg");
  // (1,1) overlaps the hand box (IoU 0.68), (52,52) overlaps the added
  // (50,50) (IoU 0.47); (9,0) touches the hand box only a little (IoU 0.05).
  ASSERT_EQ(out[0].faces.size(), 3u);
  EXPECT_EQ(out[0].faces[0].box.x, 0);
  EXPECT_EQ(out[0].faces[1].box.x, 50);
  EXPECT_EQ(out[0].faces[2].box.x, 9);
  ASSERT_EQ(out[1].faces.size(), 1u);
  EXPECT_EQ(st.images, 2);
  EXPECT_EQ(st.teacher_boxes, 5);
  EXPECT_EQ(st.added, 3);
  EXPECT_EQ(st.overlapping, 2);
}

TEST(TeacherMerge, HandBoxesAreNeverChangedAndInvalidOnesStillBlock) {
  const std::vector<WiderImage> hand{{"x/a.jpg", {face(10, 10, 30, 30, 1), face(100, 0, 5, 5)}}, {"c.jpg", {}}};
  const std::vector<WiderImage> teacher{{"./x/a.jpg", {face(12, 12, 28, 28)}}};
  const auto out = merge_teacher_labels(hand, teacher);
  ASSERT_EQ(out.size(), 2u);
  ASSERT_EQ(out[0].faces.size(), 2u);  // the teacher box lies on the invalid hand box
  EXPECT_EQ(out[0].faces[0].invalid, 1);
  EXPECT_EQ(out[0].faces[0].box.w, 30);
  EXPECT_EQ(out[0].path, "x/a.jpg");
  EXPECT_TRUE(out[1].faces.empty());  // no teacher entry: unchanged
}

TEST(TeacherMerge, TeacherImageWithoutHandEntryIsAnErrorNamingIt) {
  const std::vector<WiderImage> hand{{"a.jpg", {}}};
  const std::vector<WiderImage> teacher{{"missing.jpg", {face(0, 0, 5, 5)}}};
  try {
    merge_teacher_labels(hand, teacher);
    FAIL() << "expected ifq::Error";
  } catch (const ifq::Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing.jpg"), std::string::npos) << e.what();
  }
  EXPECT_THROW(merge_teacher_labels({{"a.jpg", {}}, {"./a.jpg", {}}}, {}), ifq::Error);
}

TEST(TeacherMerge, ThresholdDecides) {
  const std::vector<WiderImage> hand{{"a.jpg", {face(0, 0, 10, 10)}}};
  const std::vector<WiderImage> teacher{{"a.jpg", {face(5, 0, 10, 10)}}};  // IoU 1/3
  EXPECT_EQ(merge_teacher_labels(hand, teacher, 0.3)[0].faces.size(), 1u);
  EXPECT_EQ(merge_teacher_labels(hand, teacher, 0.34)[0].faces.size(), 2u);
}

// ---- image listing -------------------------------------------------------

TEST(TeacherImages, DirectoryListsImagesSortedAndRelative) {
  ifq::testing::TempDir dir;
  for (const char* name : {"b.jpg", "a.PNG", "sub/c.jpeg", "sub/deeper/d.bmp", "notes.txt", "e.gif"})
    write_text(dir.file(("photos/" + std::string(name))), "x");
  const ImageList list = list_images(dir.file("photos"));
  EXPECT_EQ(list.root, dir.file("photos"));
  EXPECT_EQ(list.paths, (std::vector<std::string>{"a.PNG", "b.jpg", "sub/c.jpeg", "sub/deeper/d.bmp"}));
}

TEST(TeacherImages, ListFileIsRelativeToItsFolderAndSkipsBlankLines) {
  ifq::testing::TempDir dir;
  write_text(dir.file("sets/list.txt"), "one.jpg\n\n  two/three.png  \r\n\n");
  const ImageList list = list_images(dir.file("sets/list.txt"));
  EXPECT_EQ(list.root, dir.file("sets"));
  EXPECT_EQ(list.paths, (std::vector<std::string>{"one.jpg", "two/three.png"}));
}

TEST(TeacherImages, NothingToListIsAnError) {
  ifq::testing::TempDir dir;
  fs::create_directories(dir.file("empty"));
  write_text(dir.file("blank.txt"), "\n \n");
  EXPECT_THROW(list_images(dir.file("empty")), ifq::Error);
  EXPECT_THROW(list_images(dir.file("blank.txt")), ifq::Error);
  EXPECT_THROW(list_images(dir.file("no-such-thing")), ifq::Error);
}

// ---- teacher_label with a fake detector ----------------------------------

TEST(TeacherLabel, LabelsReadableImagesAndSkipsTheRest) {
  ifq::testing::TempDir dir;
  fs::create_directories(dir.file("imgs/sub"));
  save_image(make_image(40, 30, 10, 20, 30), dir.file("imgs/a.png"));
  write_text(dir.file("imgs/broken.jpg"), "not an image");
  save_image(make_image(64, 48), dir.file("imgs/sub/b.png"));
  const ImageList list = list_images(dir.file("imgs"));
  ASSERT_EQ(list.paths.size(), 3u);

  FakeDetector fake;
  TeacherLabelStats st;
  std::ostringstream log;
  int progress_calls = 0;
  TeacherLabelOptions options;
  options.log = &log;
  options.on_image = [&](int done, int total) {
    ++progress_calls;
    EXPECT_EQ(total, 3);
    EXPECT_EQ(done, progress_calls);
  };
  const auto out = teacher_label(fake, list.paths, list.root, &st, options);
  EXPECT_EQ(fake.calls, 2);
  EXPECT_EQ(progress_calls, 3);
  EXPECT_EQ(st.labelled, 2);
  EXPECT_EQ(st.skipped, 1);
  EXPECT_EQ(st.skipped_paths, std::vector<std::string>{"broken.jpg"});
  EXPECT_NE(log.str().find("broken.jpg"), std::string::npos) << log.str();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].path, "a.png");
  EXPECT_EQ(out[1].path, "sub/b.png");
  ASSERT_EQ(out[0].faces.size(), 2u);
  EXPECT_EQ(out[0].faces[1].box.x, 35);
  EXPECT_EQ(out[0].faces[1].box.w, 5);  // clipped to the 40 px width
  EXPECT_EQ(st.faces, 4);

  // Written and read back as a bbx_gt file.
  save_wider_gt(out, dir.file("bbx_gt.txt"));
  const auto back = load_wider_gt(dir.file("bbx_gt.txt"));
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[1].faces.size(), 2u);
}

// Soft targets: every detection with its score; only those at least
// label_min_score become labels.
TEST(TeacherLabel, ScoredOutputKeepsLowScoresThatTheLabelsLeaveOut) {
  ifq::testing::TempDir dir;
  save_image(make_image(40, 30), dir.file("a.png"));
  FakeDetector fake;
  std::vector<ImageDetections> scored;
  TeacherLabelOptions options;
  options.scored = &scored;
  options.label_min_score = 0.85;
  const auto out = teacher_label(fake, {"a.png"}, dir.file(""), nullptr, options);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].faces.size(), 1u);  // only the 0.9 box is a label
  ASSERT_EQ(scored.size(), 1u);
  EXPECT_EQ(scored[0].name, "a.png");
  ASSERT_EQ(scored[0].detections.size(), 2u);  // the wholly outside box is dropped here too
  EXPECT_EQ(scored[0].detections[0].score, 0.9);
  EXPECT_EQ(scored[0].detections[1].score, 0.8);
  EXPECT_EQ(scored[0].detections[1].box.w, 5);  // clipped like the labels
}

// ---- real teachers (OpenCV dnn + shared files) ---------------------------

// Greedy one-to-one matches at IoU >= 0.5.
int matched_faces(const std::vector<WiderFace>& truth, const std::vector<Detection>& dets) {
  std::vector<bool> used(dets.size(), false);
  int matched = 0;
  for (const WiderFace& f : truth) {
    int best = -1;
    double best_iou = 0.5;
    for (size_t j = 0; j < dets.size(); ++j)
      if (!used[j] && iou(f.box, dets[j].box) >= best_iou) {
        best_iou = iou(f.box, dets[j].box);
        best = int(j);
      }
    if (best >= 0) {
      used[size_t(best)] = true;
      ++matched;
    }
  }
  return matched;
}

#define IFQ_REQUIRE_TEACHER(file)                                                          \
  if (!teacher_detector_available()) GTEST_SKIP() << "this build has no OpenCV dnn";      \
  if (!fs::is_regular_file(file)) GTEST_SKIP() << "shared teacher file " << (file) << " not found"

struct LabelledPhoto {
  Image image;
  std::vector<WiderFace> faces;
};

// A facelib photo with 6 YuNet-labelled faces (MIT, timesler/facenet-pytorch).
bool load_facelib_photo(LabelledPhoto& photo) {
  const std::string root = faces_data() + "/real/facelib_samples_teacher";
  if (!fs::is_regular_file(root + "/bbx_gt.txt")) return false;
  for (const WiderImage& wi : load_wider_gt(root + "/bbx_gt.txt"))
    if (wi.path == "images/facelib_timesler__data__multiface.jpg") {
      photo.image = load_image(root + "/" + wi.path);
      photo.faces = wi.faces;
      return true;
    }
  return false;
}

TEST(TeacherDetectorReal, YuNetFindsTheLabelledFaces) {
  const std::string model = faces_data() + "/teachers/yunet/yunet.onnx";
  IFQ_REQUIRE_TEACHER(model);
  LabelledPhoto photo;
  if (!load_facelib_photo(photo)) GTEST_SKIP() << "shared facelib photos not found under " << faces_data();
  TeacherDetector yunet(model);
  EXPECT_EQ(yunet.format(), TeacherFormat::YuNet);
  const auto dets = yunet.detect(photo.image);
  for (size_t i = 1; i < dets.size(); ++i) EXPECT_GE(dets[i - 1].score, dets[i].score);
  EXPECT_GE(matched_faces(photo.faces, dets), 0.8 * double(photo.faces.size()))
      << dets.size() << " detections for " << photo.faces.size() << " labelled faces";
}

TEST(TeacherDetectorReal, UltraFaceIsRecognisedAndFindsFaces) {
  const std::string model = faces_data() + "/teachers/ultraface/version-RFB-320.onnx";
  IFQ_REQUIRE_TEACHER(model);
  LabelledPhoto photo;
  if (!load_facelib_photo(photo)) GTEST_SKIP() << "shared facelib photos not found under " << faces_data();
  TeacherDetector ultra(model, TeacherOptions{0.7, 0.3, 0, 0});
  EXPECT_EQ(ultra.format(), TeacherFormat::UltraFace);
  EXPECT_GE(matched_faces(photo.faces, ultra.detect(photo.image)), 0.5 * double(photo.faces.size()));
  EXPECT_THROW(TeacherDetector(model, TeacherOptions{0.5, 0.3, 0, 640}), ifq::Error);  // fixed 320x240
}

// Protobuf bytes for a hand-made ONNX file (field numbers of onnx.proto).
std::string pb_varint(uint64_t v) {
  std::string s;
  do {
    s += char((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
    v >>= 7;
  } while (v);
  return s;
}
std::string pb_int(int field, uint64_t v) { return pb_varint(uint64_t(field) << 3) + pb_varint(v); }
std::string pb_bytes(int field, const std::string& b) {
  return pb_varint((uint64_t(field) << 3) | 2) + pb_varint(b.size()) + b;
}

// A valid ONNX model that is no face detector: y = Relu(x), x 1x3x8x8.
std::string relu_onnx() {
  std::string shape;
  for (int d : {1, 3, 8, 8}) shape += pb_bytes(1, pb_int(1, uint64_t(d)));
  const std::string type = pb_bytes(1, pb_int(1, 1) + pb_bytes(2, shape));  // float tensor
  const std::string node = pb_bytes(1, "x") + pb_bytes(2, "y") + pb_bytes(3, "relu") + pb_bytes(4, "Relu");
  const std::string graph = pb_bytes(1, node) + pb_bytes(2, "g") + pb_bytes(11, pb_bytes(1, "x") + pb_bytes(2, type)) +
                            pb_bytes(12, pb_bytes(1, "y") + pb_bytes(2, type));
  return pb_int(1, 7) + pb_bytes(8, pb_bytes(1, "") + pb_int(2, 13)) + pb_bytes(7, graph);
}

TEST(TeacherDetectorReal, RejectsFilesThatAreNotFaceDetectorsNamingThem) {
  if (!teacher_detector_available()) GTEST_SKIP() << "this build has no OpenCV dnn";
  ifq::testing::TempDir dir;
  const auto expect_error = [](const std::string& file, const std::string& also) {
    try {
      TeacherDetector t(file);
      ADD_FAILURE() << file << " was accepted";
    } catch (const ifq::Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(file), std::string::npos) << what;
      EXPECT_NE(what.find(also), std::string::npos) << what;
    }
  };
  write_text(dir.file("garbage.onnx"), std::string("this is not a protobuf \xff\xfe\x01", 26));
  expect_error(dir.file("garbage.onnx"), "ONNX");
  expect_error(dir.file("missing.onnx"), "no such file");
  write_text(dir.file("relu.onnx"), relu_onnx());
  expect_error(dir.file("relu.onnx"), "its outputs are: y");
}

TEST(TeacherLabelCli, LabelsADirectoryAndNeverLosesAWrittenFile) {
  const std::string model = faces_data() + "/teachers/yunet/yunet.onnx";
  IFQ_REQUIRE_TEACHER(model);
  const std::string photo = faces_data() + "/real/facelib_samples_teacher/images/facelib_timesler__data__multiface.jpg";
  if (!fs::is_regular_file(photo)) GTEST_SKIP() << photo << " not found";
  ifq::testing::TempDir dir;
  fs::create_directories(dir.file("photos"));
  fs::copy_file(photo, dir.file("photos/multiface.jpg"));
  write_text(dir.file("photos/broken.jpg"), "not a JPEG");
  const std::string out = dir.file("out/bbx_gt.txt");
  ifq::testing::CommandResult r = run_ifq("teacher-label --teacher '" + model + "' --images '" + (dir.file("photos")) + "' --out '" + out + "'");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("broken.jpg"), std::string::npos) << r.output;
  const auto gt = load_wider_gt(out);
  ASSERT_EQ(gt.size(), 1u);  // the unreadable image is left out, not written as faceless
  EXPECT_EQ(gt[0].path, "../photos/multiface.jpg");
  EXPECT_GE(gt[0].faces.size(), 5u);

  // --soft-out: every detection down to --soft-min-score, with its score,
  // named relative to its own folder; the labels keep --min-score.
  r = run_ifq("teacher-label --teacher '" + model + "' --images '" + (dir.file("photos")) + "' --out '" + out +
              "' --soft-out '" + dir.file("soft/detections.txt") + "' --soft-min-score 0.3");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(load_wider_gt(out)[0].faces.size(), gt[0].faces.size());
  const auto soft = load_detections(dir.file("soft/detections.txt"));
  ASSERT_EQ(soft.size(), 1u);
  EXPECT_EQ(soft[0].name, "../photos/multiface.jpg");
  EXPECT_GE(soft[0].detections.size(), gt[0].faces.size());
  for (const Detection& d : soft[0].detections) EXPECT_GE(d.score, 0.3);

  // A bad teacher fails before anything is written; the earlier file stays.
  const std::string before = read_text(out);
  write_text(dir.file("garbage.onnx"), "garbage");
  r = run_ifq("teacher-label --teacher '" + (dir.file("garbage.onnx")) + "' --images '" + (dir.file("photos")) + "' --out '" +
              out + "'");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("ifq: error:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("garbage.onnx"), std::string::npos) << r.output;
  EXPECT_EQ(read_text(out), before);

  // Merging into hand labels that lack the photo names it.
  write_text(dir.file("hand/bbx_gt.txt"), "other.jpg\n0\n0 0 0 0 0 0 0 0 0 0\n");
  r = run_ifq("teacher-label --teacher '" + model + "' --images '" + (dir.file("photos")) + "' --out '" + out +
              "' --merge-with '" + (dir.file("hand/bbx_gt.txt")) + "'");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("multiface.jpg"), std::string::npos) << r.output;
  EXPECT_EQ(read_text(out), before);
}

}  // namespace
