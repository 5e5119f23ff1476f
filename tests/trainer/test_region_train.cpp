// Detector training end to end: WIDER bbx_gt loading with an unreadable image,
// flip augmentation of images and boxes, and a few steps of a tiny region
// network on generated face images whose loss must fall.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <random>

#include "ifq/cfg.hpp"
#include "ifq/detect/datasets.hpp"
#include "ifq/detect/face_generator.hpp"
#include "ifq/error.hpp"
#include "ifq/model_io.hpp"
#include "ifq/train/detection_data.hpp"
#include "ifq_trainer/trainer.hpp"
#include "synthetic_data.hpp"
#include "temp_dir.hpp"

namespace ifq {
namespace {

// A grey "face": a bright disc with two dark eyes and a mouth, so the
// generated faces share a learnable pattern.
detect::GreyPatch face_patch(int side = 24) {
  detect::GreyPatch p{side, side, std::vector<uint8_t>(size_t(side) * side, 40)};
  for (int y = 0; y < side; ++y)
    for (int x = 0; x < side; ++x) {
      const double dx = x - side / 2.0 + 0.5, dy = y - side / 2.0 + 0.5;
      if (dx * dx + dy * dy < side * side / 4.4) p.pixels[size_t(y * side + x)] = 220;
      const bool eye = (y > side / 3 - 2 && y < side / 3 + 2) && (std::abs(x - side / 3) < 2 || std::abs(x - 2 * side / 3) < 2);
      const bool mouth = y > 2 * side / 3 && y < 2 * side / 3 + 2 && x > side / 3 && x < 2 * side / 3;
      if (eye || mouth) p.pixels[size_t(y * side + x)] = 30;
    }
  return p;
}

std::vector<detect::GeneratedImage> generate(int count, int size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  detect::Image bg = detect::make_image(96, 96);
  for (auto& v : bg.rgb) v = uint8_t(60 + rng() % 80);
  detect::FaceGeneratorOptions o;
  o.width = o.height = size;
  o.min_faces = 1;
  o.max_faces = 2;
  o.min_face = size / 4;
  o.max_face = size / 2;
  o.blur_probability = 0;
  std::vector<detect::GeneratedImage> out;
  for (int i = 0; i < count; ++i) out.push_back(detect::generate_face_image(bg, {face_patch()}, o, rng));
  return out;
}

const char* kRegionCfg =
    "[net]\nwidth=32\nheight=32\nchannels=3\nbatch=8\nmean=0\nstd=255\nlearning_rate=0.002\nmomentum=0.9\n"
    "decay=0.0005\nmax_batches=80\npolicy=constant\n"
    "[convolutional]\nbatch_normalize=1\nfilters=8\nsize=3\nstride=1\npad=1\nactivation=leaky\n"
    "[maxpool]\nsize=2\nstride=2\n"
    "[convolutional]\nbatch_normalize=1\nfilters=16\nsize=3\nstride=1\npad=1\nactivation=leaky\n"
    "[maxpool]\nsize=2\nstride=2\n"
    "[convolutional]\nfilters=12\nsize=1\nstride=1\npad=0\nactivation=linear\n"
    "[region]\nanchors=1.5,1.5,3,3\nnum=2\nclasses=1\ncoords=4\nbias_match=1\nrescore=1\nobject_scale=5\n"
    "noobject_scale=1\nclass_scale=1\ncoord_scale=1\nthresh=.6\n";

TEST(DetectionData, LoadsWiderGtSkipsUnreadableAndFlips) {
  testing::TempDir dir;
  const auto gen = generate(3, 64, 5);
  std::vector<detect::WiderImage> list;
  for (size_t i = 0; i < gen.size(); ++i) {
    const std::string name = "img" + std::to_string(i) + ".png";
    detect::save_image(gen[i].image, dir.file(name));
    detect::WiderImage wi{name, {}};
    for (const auto& b : gen[i].faces) wi.faces.push_back({b});
    list.push_back(wi);
  }
  list.push_back({"missing.png", {{detect::Box{1, 1, 5, 5}}}});
  detect::save_wider_gt(list, dir.file("gt.txt"));
  int64_t skipped = -1;
  const auto data = trainer::load_wider_detection(dir.file("gt.txt"), dir.file(""), {3, 32, 32}, &skipped);
  EXPECT_EQ(skipped, 1);
  ASSERT_EQ(data.size(), 3);
  ASSERT_EQ(data.images.size(), size_t(3 * 3 * 32 * 32));
  for (size_t i = 0; i < gen.size(); ++i) {
    ASSERT_EQ(data.truths[i].size(), gen[i].faces.size());
    for (size_t f = 0; f < gen[i].faces.size(); ++f) {
      // Boxes are saved as integers (WIDER), so compare after rounding.
      const detect::Box& b = gen[i].faces[f];
      EXPECT_NEAR(data.truths[i][f].x, (std::round(b.x) + std::round(b.w) / 2) / 64, 1e-9);
      EXPECT_NEAR(data.truths[i][f].w, std::round(b.w) / 64, 1e-9);
      EXPECT_NEAR(data.truths[i][f].h, std::round(b.h) / 64, 1e-9);
    }
  }
  // Flip: pixel (x, y) moves to (W-1-x, y); box centres to 1 - x.
  std::vector<uint8_t> img(data.images.begin(), data.images.begin() + 3 * 32 * 32);
  auto truths = data.truths[0];
  trainer::flip_detection(img.data(), {3, 32, 32}, truths);
  EXPECT_EQ(img[size_t(32 * 32 + 5 * 32 + 31 - 7)], data.images[size_t(32 * 32 + 5 * 32 + 7)]);
  EXPECT_NEAR(truths[0].x, 1 - data.truths[0][0].x, 1e-12);
  EXPECT_EQ(truths[0].y, data.truths[0][0].y);

  EXPECT_THROW(trainer::load_wider_detection(dir.file("nope.txt"), dir.file(""), {3, 32, 32}), Error);
}

TEST(RegionTraining, LossFallsOnGeneratedFaces) {
  const CfgNetwork net = parse_cfg(kRegionCfg, "region.cfg");
  trainer::DetectionDataset data;
  data.shape = {3, 32, 32};
  for (const auto& g : generate(16, 32, 7)) trainer::add_detection_image(data, g.image, g.faces);
  ASSERT_EQ(data.size(), 16);
  trainer::TrainOptions o;
  o.threads = 2;
  o.progress = false;
  o.optimizer = "adam";
  o.augment.flip = true;
  std::vector<double> losses;
  o.on_step = [&](int, double loss) { losses.push_back(loss); };
  o.steps = 400;
  trainer::Trainer tr(net, o);
  // The loss on the training images in evaluation mode (running BN
  // statistics, no warm-up term), from the exported model's raw output.
  const auto params = trainer::region_loss_params(std::get<RegionLayer>(net.model.layers.back()), net.region_params);
  trainer::Dataset images;
  images.shape = data.shape;
  images.classes = 1;
  images.images = data.images;
  images.labels.assign(size_t(data.size()), 0);
  auto eval = [&](const FloatModel& m) {
    const auto ev = trainer::torch_evaluate(m, images, false, false, 2);
    return trainer::region_loss(ev.logits.data(), int(data.size()), 8, 8, params, data.truths, int64_t(1) << 40);
  };
  const auto before = eval(tr.export_model());
  const auto st = tr.train(data);
  const auto after = eval(tr.export_model());
  ASSERT_EQ(losses.size(), 400u);
  const double first = std::accumulate(losses.begin(), losses.begin() + 5, 0.0) / 5;
  const double last = std::accumulate(losses.end() - 5, losses.end(), 0.0) / 5;
  std::printf("region training loss: first 5 steps %.4f, last 5 steps %.4f (%.1f s)\n", first, last, st.seconds);
  std::printf("eval: loss %.4f -> %.4f, coord %.4f -> %.4f, object %.4f -> %.4f, avg IoU %.3f -> %.3f, recall %.3f -> %.3f\n",
              before.loss, after.loss, before.coord, after.coord, before.object, after.object, before.avg_iou,
              after.avg_iou, before.recall, after.recall);
  EXPECT_LT(last, 0.5 * first);
  // Not only the easy no-object term: the face terms fall and the boxes fit better.
  EXPECT_LT(after.coord, before.coord);
  EXPECT_GT(after.avg_iou, before.avg_iou);
  EXPECT_GT(after.recall, before.recall);
  EXPECT_GT(after.recall, 0.5);
  // The exported model keeps the region head.
  EXPECT_TRUE(std::holds_alternative<RegionLayer>(tr.export_model().layers.back()));
}

// The distillation terms (region_distill.hpp) of a model's raw output against
// a teacher's on the same images, in evaluation mode.
double distillation_gap(const FloatModel& student, const FloatModel& teacher, const trainer::Dataset& images,
                        const trainer::RegionLossParams& params, int grid) {
  const auto s = trainer::torch_evaluate(student, images, false, false, 2);
  const auto t = trainer::torch_evaluate(teacher, images, false, false, 2);
  trainer::RegionLossResult r;
  r.grad.assign(s.logits.size(), 0.0f);
  trainer::add_region_distillation(s.logits.data(), t.logits.data(), int(images.size()), grid, grid, params, {}, r);
  return r.distill;
}

TEST(RegionTraining, DistillationPullsTheStudentTowardsTheTeacher) {
  const CfgNetwork net = parse_cfg(kRegionCfg, "region.cfg");
  trainer::DetectionDataset data;
  data.shape = {3, 32, 32};
  for (const auto& g : generate(16, 32, 7)) trainer::add_detection_image(data, g.image, g.faces);
  trainer::Dataset images;
  images.shape = data.shape;
  images.classes = 1;
  images.images = data.images;
  images.labels.assign(size_t(data.size()), 0);
  const auto params = trainer::region_loss_params(std::get<RegionLayer>(net.model.layers.back()), net.region_params);
  // The teacher: the same detector trained for a while (another seed).
  trainer::TrainOptions o;
  o.threads = 2;
  o.progress = false;
  o.optimizer = "adam";
  o.steps = 150;
  o.seed = 3;
  CfgOptions teacher_cfg;
  teacher_cfg.seed = 3;
  trainer::Trainer teacher_training(parse_cfg(kRegionCfg, "region.cfg", teacher_cfg), o);
  teacher_training.train(data);
  auto teacher = std::make_shared<const FloatModel>(teacher_training.export_model());
  // Two students from the same start and samples, with and without it.
  o.steps = 60;
  o.seed = 1;
  trainer::Trainer plain(net, o);
  const double start = distillation_gap(plain.export_model(), *teacher, images, params, 8);
  plain.train(data);
  o.distill_teacher = teacher;
  o.distill_weights = {5, 5};
  trainer::Trainer distilled(net, o);
  distilled.train(data);
  const double without = distillation_gap(plain.export_model(), *teacher, images, params, 8);
  const double with = distillation_gap(distilled.export_model(), *teacher, images, params, 8);
  std::printf("distillation gap to the teacher: start %.4f, trained without %.4f, with %.4f\n", start, without, with);
  EXPECT_LT(with, 0.75 * without);  // measured: 0.47 of it
  EXPECT_LT(with, 0.5 * start);
}

TEST(RegionTraining, DistillationTeacherMustShareTheRegionLayer) {
  const CfgNetwork net = parse_cfg(kRegionCfg, "region.cfg");
  trainer::TrainOptions o;
  o.progress = false;
  o.steps = 1;
  auto expect_error = [&](const FloatModel& teacher, const std::string& message) {
    o.distill_teacher = std::make_shared<const FloatModel>(teacher);
    try {
      trainer::Trainer tr(net, o);
      ADD_FAILURE() << "teacher accepted: " << message;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  };
  std::string other_anchors = kRegionCfg;
  other_anchors.replace(other_anchors.find("anchors=1.5,1.5"), 15, "anchors=1.5,2.5");
  expect_error(parse_cfg(other_anchors, "a.cfg").model, "another region layer");
  expect_error(parse_cfg(testing::tiny_cfg(true, 2), "tiny.cfg").model, "does not end in a [region] layer");
  std::string other_stride = kRegionCfg;
  other_stride.replace(other_stride.find("[maxpool]"), 9, "[maxpool]\nsize=2\nstride=2\n[maxpool]");
  expect_error(parse_cfg(other_stride, "s.cfg").model, "at stride 8");
  // A student that is not a detector takes no teacher.
  o.distill_teacher = std::make_shared<const FloatModel>(net.model);
  EXPECT_THROW(trainer::Trainer(parse_cfg(testing::tiny_cfg(true, 2), "tiny.cfg"), o), Error);
}

TEST(RegionTraining, DataKindMustMatchTheNetwork) {
  const CfgNetwork region = parse_cfg(kRegionCfg, "region.cfg");
  trainer::TrainOptions o;
  o.progress = false;
  o.steps = 1;
  trainer::Trainer tr(region, o);
  try {
    tr.train(testing::synthetic_bars(8, 2, {3, 32, 32}, 1));
    ADD_FAILURE() << "classification data accepted for a region network";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[region]"), std::string::npos) << e.what();
  }
  trainer::Trainer cls(parse_cfg(testing::tiny_cfg(true, 2), "tiny.cfg"), o);
  trainer::DetectionDataset d;
  d.shape = {1, 8, 8};
  d.images.assign(64, 0);
  d.truths.push_back({});
  EXPECT_THROW(cls.train(d), Error);
}

TEST(RegionTraining, ResumeEqualsStraightThrough) {
  testing::TempDir dir;
  const CfgNetwork net = parse_cfg(kRegionCfg, "region.cfg");
  trainer::DetectionDataset data;
  data.shape = {3, 32, 32};
  for (const auto& g : generate(6, 32, 11)) trainer::add_detection_image(data, g.image, g.faces);
  trainer::TrainOptions o;
  o.threads = 1;
  o.steps = 8;
  o.progress = false;
  o.augment.flip = true;
  const auto runs = testing::train_straight_and_resumed(net, data, o, 5, dir.file(""));
  EXPECT_TRUE(runs.interrupted);
  EXPECT_EQ(runs.resumed_from, 5);
  EXPECT_EQ(runs.resumed, runs.straight);
}

// `ifq train` on a [region] cfg as a user runs it.
std::pair<int, std::string> run_ifq(const std::string& args) {
  std::string out;
  FILE* pipe = popen((std::string(IFQ_BINARY) + " " + args + " 2>&1").c_str(), "r");
  if (!pipe) return {-1, out};
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  const int raw = pclose(pipe);
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw), out};
}

TEST(RegionTraining, CliTrainsFromWiderGt) {
  testing::TempDir dir;
  testing::write_bytes(dir.file("r.cfg"), kRegionCfg);
  auto [status, out] = run_ifq("train --cfg " + dir.file("r.cfg") + " --out " + dir.file("m.ifqf"));
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(out.find("ends in [region]: give detection data with --set FILE or --wider-gt"), std::string::npos) << out;

  std::vector<detect::WiderImage> list;
  const auto gen = generate(4, 32, 9);
  for (size_t i = 0; i < gen.size(); ++i) {
    const std::string name = "d/img" + std::to_string(i) + ".png";
    std::filesystem::create_directories(dir.file("d"));
    detect::save_image(gen[i].image, dir.file(name));
    detect::WiderImage wi{"img" + std::to_string(i) + ".png", {}};
    for (const auto& b : gen[i].faces) wi.faces.push_back({b});
    list.push_back(wi);
  }
  detect::save_wider_gt(list, dir.file("d/gt.txt"));
  std::tie(status, out) = run_ifq("train --cfg " + dir.file("r.cfg") + " --wider-gt " + dir.file("d/gt.txt") +
                                  " --steps 3 --batch 2 --flip --no-progress --out " + dir.file("m.ifqf"));
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("trained 3 steps"), std::string::npos) << out;
  EXPECT_TRUE(std::filesystem::exists(dir.file("m.ifqf")));
  std::tie(status, out) = run_ifq("train --cfg " + dir.file("r.cfg") + " --wider-gt " + dir.file("d/gt.txt") +
                                  " --crop-pad 2 --steps 1 --out " + dir.file("m2.ifqf"));
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(out.find("crop augmentation is not supported for detection"), std::string::npos) << out;

  // The YOLOv2 options: trained at 64x64 with multi-scale, the model keeps the cfg's 32x32 input;
  // --init from that model (3 convolutions, 2 batch norms); bad combinations fail with a message naming the problem.
  const std::string base = "train --cfg " + dir.file("r.cfg") + " --wider-gt " + dir.file("d/gt.txt") + " --no-progress ";
  std::tie(status, out) = run_ifq(base + "--train-size 64 --multi-scale 32 96 --jitter 0.2 --saturation 1.5 "
                                         "--exposure 1.5 --burn-in 2 --lr-steps 2 --lr-scales 0.1 --log-every 1 "
                                         "--steps 3 --batch 2 --out " + dir.file("ms.ifqf"));
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("detection data: 4 images at 3x64x64"), std::string::npos) << out;
  EXPECT_NE(out.find("step 3/3 lr 0.0002"), std::string::npos) << out;  // after the step at 2: 0.002 x 0.1
  EXPECT_EQ(std::get<InputLayer>(load_float_model(dir.file("ms.ifqf")).layers[0]).shape, (Shape3{3, 32, 32}));
  std::tie(status, out) = run_ifq(base + "--init " + dir.file("ms.ifqf") + " --steps 1 --batch 2 --out " + dir.file("i.ifqf"));
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("initial weights: 5 layers from"), std::string::npos) << out;
  const std::pair<std::string, std::string> bad[] = {
      {"--multi-scale 32 100 --steps 1", "multiples of 32"},
      {"--lr-steps 1,2 --lr-scales 0.1 --steps 3", "one scale per step"},
      {"--lr-steps 1 --lr-scales 0.1", "--lr-steps needs --steps"},
      {"--init " + dir.file("d/gt.txt") + " --steps 1", "gt.txt"},
      {"--distill-weight 1 --steps 1", "--distill-weight needs --distill-from"},
      {"--distill-attention 1 --steps 1", "--distill-attention needs --distill-from"},
      {"--distill-from " + dir.file("d/gt.txt") + " --steps 1", "gt.txt"},
      {"--box-loss ciou --steps 1", "box loss 'ciou' is not one of mse, giou, diou"},
      {"--box-loss-weight 0.5 --steps 1", "--box-loss-weight needs --box-loss giou or diou"},
  };
  for (const auto& [flags, message] : bad) {
    std::tie(status, out) = run_ifq(base + flags + " --out " + dir.file("bad.ifqf"));
    EXPECT_EQ(status, 1) << flags << "\n" << out;
    EXPECT_NE(out.find(message), std::string::npos) << flags << "\n" << out;
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("bad.ifqf")));
  // An IoU box loss trains, and a checkpoint made with it resumes only with it.
  std::tie(status, out) = run_ifq(base + "--box-loss diou --box-loss-weight 0.5 --steps 2 --batch 2 --checkpoint " +
                                  dir.file("diou.ckpt") + " --out " + dir.file("diou.ifqf"));
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("box loss: diou, weight 0.5"), std::string::npos) << out;
  std::tie(status, out) = run_ifq(base + "--steps 3 --batch 2 --checkpoint " + dir.file("diou.ckpt") + " --resume --out " +
                                  dir.file("diou.ifqf"));
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(out.find("box-loss=diou:0.5"), std::string::npos) << out;
  // Distillation from the model trained above: the log shows the teacher's terms.
  std::tie(status, out) = run_ifq(base + "--distill-from " + dir.file("ms.ifqf") +
                                  " --distill-weight 2,0.5 --steps 2 --batch 2 --log-every 1 --out " + dir.file("kd.ifqf"));
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("(weights: objectness 2, boxes 0.5)"), std::string::npos) << out;
  EXPECT_NE(out.find(" distill "), std::string::npos) << out;
  EXPECT_EQ(out.find(" attention "), std::string::npos) << out;  // off unless asked for
  std::tie(status, out) = run_ifq(base + "--distill-from " + dir.file("ms.ifqf") + " --distill-attention 50 " +
                                  "--steps 2 --batch 2 --log-every 1 --out " + dir.file("at.ifqf"));
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("(weights: objectness 1, boxes 1, attention 50)"), std::string::npos) << out;
  EXPECT_NE(out.find(" attention "), std::string::npos) << out;

  // Photo sets: two sets by weight, cut on the fly; the photo flags need --set, and --set takes no fixed sources.
  const std::string sets = "train --cfg " + dir.file("r.cfg") + " --set " + dir.file("d/gt.txt") + ":2:4 --set " +
                           dir.file("d/gt.txt") + ":1 --no-progress ";
  std::tie(status, out) = run_ifq(sets + "--mosaic 0.5 --zoom 0.5 1.2 --hue 0.05 --aspect 1.3 --keep-aspect 0.5 "
                                         "--min-face 4 --flip --steps 2 --batch 2 --out " + dir.file("sets.ifqf"));
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("weight 2, largest side 32 px"), std::string::npos) << out;
  EXPECT_NE(out.find("trained 2 steps"), std::string::npos) << out;
  // --photo-max-side bounds the copies kept in memory (the 32 px photos halved).
  std::tie(status, out) = run_ifq(sets + "--photo-max-side 16 --steps 1 --batch 2 --out " + dir.file("small.ifqf"));
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("weight 2, largest side 16 px"), std::string::npos) << out;
  std::tie(status, out) = run_ifq(sets + "--photo-max-side 8 --steps 1 --out " + dir.file("bad.ifqf"));
  EXPECT_NE(status, 0) << out;
  EXPECT_NE(out.find("ifq: error: --photo-max-side"), std::string::npos) << out;
  const std::pair<std::string, std::string> bad_sets[] = {
      {sets + "--jitter 0.2", "--set cannot be combined"},
      {sets + "--wider-gt " + dir.file("d/gt.txt"), "--set cannot be combined"},
      {base + "--mosaic 0.5", "need --set"},
      {base + "--photo-max-side 800", "need --set"},
      {sets + "--zoom 2 1", "zoom min <= zoom max"},
      {"train --cfg " + dir.file("r.cfg") + " --set " + dir.file("d/gt.txt") + ":0", "weight must be > 0"},
  };
  for (const auto& [args, message] : bad_sets) {
    std::tie(status, out) = run_ifq(args + " --steps 1 --out " + dir.file("bad.ifqf"));
    EXPECT_EQ(status, 1) << args << "\n" << out;
    EXPECT_NE(out.find(message), std::string::npos) << args << "\n" << out;
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("bad.ifqf")));
}

}  // namespace
}  // namespace ifq
