// The exported C, compiled with the host C compiler in strict C99 mode, must
// reproduce the reference runtime byte for byte: every stored tensor of every
// segment and the final output, on random networks and random images.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <random>
#include <set>

#include "c_harness.hpp"
#include "ifq/convert.hpp"
#include "ifq/error.hpp"
#include "ifq/export_c.hpp"
#include "op_samples/op_samples.hpp"
#include "random_float_nets.hpp"

namespace ifq::export_test {
namespace {

struct Batch {
  std::vector<HostCase> cases;
  int rejected_by_converter = 0;
};

std::vector<std::vector<uint8_t>> test_images(std::mt19937& rng, const Shape3& shape) {
  std::vector<std::vector<uint8_t>> images;
  for (int k = 0; k < 3; ++k) images.push_back(random_image(rng, shape));
  images.emplace_back(size_t(shape.elements()), uint8_t(0));
  images.emplace_back(size_t(shape.elements()), uint8_t(255));
  return images;
}

// `count` random networks converted integrated (separated = false) or with
// separated quantized substructures at random m and random folding.
Batch random_batch(uint32_t seed, int count, bool separated) {
  std::mt19937 rng(seed);
  Batch b;
  for (int i = 0; i < count; ++i) {
    const FloatModel fm = random_float_net(rng);
    ConvertOptions opt;
    if (separated) {
      opt.quantized = ConversionKind::Separated;
      opt.quantized_m = std::uniform_int_distribution<int>(4, 12)(rng);
      opt.fold_thresholds_in_nonquantized = rng() % 2 == 0;
    }
    opt.first_m = std::uniform_int_distribution<int>(6, 10)(rng);
    opt.last_m = std::uniform_int_distribution<int>(8, 14)(rng);
    HostCase c;
    try {
      c.model = convert(fm, opt).model;
    } catch (const Error&) {
      ++b.rejected_by_converter;  // e.g. a weight needing more than 24 bits at this m
      continue;
    }
    ExportCOptions eo;
    eo.name = "net" + std::to_string(i);
    c.exported = export_c(c.model, eo);
    c.images = test_images(rng, std::get<IntInputOp>(c.model.ops[0]).shape);
    b.cases.push_back(std::move(c));
  }
  return b;
}

// Every case byte-identical to the reference, built with each popcount path
// of the runtime.
void expect_cases_bit_exact(const std::vector<HostCase>& cases) {
  for (const std::string& flags : popcount_path_flags()) {
    TempDir dir;
    const HostRun run = run_on_host(cases, dir.path(), flags);
    for (size_t i = 0; i < cases.size(); ++i)
      EXPECT_EQ(compare_with_reference(cases[i], run, i), "") << "network " << cases[i].exported.name << ", " << flags;
  }
}

void expect_bit_exact(const Batch& b, int count) {
  ASSERT_GE(int(b.cases.size()), count * 3 / 4) << "the converter rejected too many random networks";
  expect_cases_bit_exact(b.cases);
}

TEST(ExportCBitExact, RandomNetworksIntegrated) {
  const int count = 24;
  expect_bit_exact(random_batch(7001, count, false), count);
}

TEST(ExportCBitExact, RandomNetworksSeparated) {
  const int count = 24;
  expect_bit_exact(random_batch(7002, count, true), count);
}

// The two batches above must exercise every op kind and every storage
// choice, or "bit-exact" would be claimed for code never run.
TEST(ExportCBitExact, RandomBatchesCoverEveryOpKind) {
  std::set<std::string> ops;
  std::set<std::string> elems;
  std::set<int> plane_counts;
  int take_min = 0, acc_shift = 0, multi_bit = 0, fc = 0, reads_stored = 0;
  for (const Batch& b : {random_batch(7001, 24, false), random_batch(7002, 24, true)})
    for (const auto& c : b.cases) {
      for (const auto& op : c.model.ops) {
        ops.insert(int_op_name(op));
        if (auto* p = std::get_if<IntMaxPoolOp>(&op))
          for (auto v : p->take_min) take_min += v != 0;
        if (auto* cv = std::get_if<IntConvOp>(&op)) acc_shift += cv->acc_shift > 0, multi_bit += cv->weight_bits > 1;
        if (auto* f = std::get_if<IntFcOp>(&op)) acc_shift += f->acc_shift > 0, multi_bit += f->weight_bits > 1, ++fc;
      }
      for (const auto& t : c.exported.plan.tensors) {
        elems.insert(stored_elem_name(t.elem));
        if (t.elem == StoredElem::BitPlanes) plane_counts.insert(t.planes);
      }
      for (const auto& seg : c.exported.plan.segments) reads_stored += seg.reads_stored;
    }
  for (const char* kind : {"input", "conv", "fc", "maxpool", "threshold", "requant", "batchnorm", "quant", "relu",
                           "leaky"})
    EXPECT_TRUE(ops.count(kind)) << "no random network produced a " << kind << " op";
  EXPECT_TRUE(elems.count("u8"));
  EXPECT_TRUE(elems.count("i32"));
  // The popcount kernel's 2-plane path and its general one.
  EXPECT_TRUE(plane_counts.count(2)) << "no 2-bit levels stored as bit planes";
  EXPECT_GT(plane_counts.size(), 1u) << "only one bit-plane count stored";
  EXPECT_GT(take_min, 0) << "no channel pooled with min (negative BN scale before BN)";
  EXPECT_GT(acc_shift, 0) << "no conv/fc with acc_shift";
  EXPECT_GT(multi_bit, 0) << "no multi-bit weights";
  EXPECT_GT(fc, 0);
  EXPECT_GT(reads_stored, 0) << "no segment starting at an overlapping max pool";
}

// A float network converted (integrated) and exported as `name`, with images.
HostCase exported_case(const FloatModel& net, const std::string& name, std::vector<std::vector<uint8_t>> images) {
  HostCase c;
  c.model = convert(net).model;
  ExportCOptions eo;
  eo.name = name;
  c.exported = export_c(c.model, eo);
  c.images = std::move(images);
  return c;
}

// Tinier-YOLO face at 160x120 (random weights) with one random image.
HostCase tinier_yolo_face_160x120() {
  std::mt19937 rng(12);
  return exported_case(tinier_yolo_face(160, 120, 11), "face", {random_image(rng, {3, 120, 160})});
}

// The Fashion-MNIST classifier (random weights) with five images.
HostCase fashion_classifier_case() {
  std::mt19937 rng(22);
  return exported_case(fashion_classifier(21), "fashion", test_images(rng, {1, 28, 28}));
}

// The runtime has no undefined behaviour and reads nothing out of bounds on
// these networks: the same programs built with AddressSanitizer and
// UndefinedBehaviorSanitizer, halting at the first report. clang when it is
// installed (GCC's UBSan misses a pointer formed before an array, which
// clang's caught in the image patch); skipped where neither compiler can
// build with them.
TEST(ExportCBitExact, UnderAddressAndUndefinedBehaviourSanitizers) {
  const std::string flags = "-g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer";
  auto can_build = [&](const std::string& cc) {
    TempDir probe;
    std::ofstream(probe.path() / "p.c") << "int main(void) { return 0; }\n";
    const std::string exe = (probe.path() / "p").string();
    return run_command(cc + " " + flags + " " + shell_quote((probe.path() / "p.c").string()) + " -o " +
                       shell_quote(exe) + " && " + shell_quote(exe))
               .status == 0;
  };
  const std::string cc = can_build("clang") ? "clang" : IFQ_HOST_CC;
  if (!can_build(cc)) GTEST_SKIP() << "neither clang nor " << IFQ_HOST_CC << " builds and runs with " << flags;
  Batch b = random_batch(7001, 12, false);
  b.cases.push_back(tinier_yolo_face_160x120());
  b.cases.push_back(fashion_classifier_case());
  TempDir dir;
  const HostRun run = run_on_host(b.cases, dir.path(), flags, cc);
  for (size_t i = 0; i < b.cases.size(); ++i)
    EXPECT_EQ(compare_with_reference(b.cases[i], run, i), "") << "network " << b.cases[i].exported.name;
}

// Every op of the registry (tests/op_samples), including those the converter
// never emits (clamp): its C emission and its ifq_micro kernel agree with
// the reference byte for byte.
TEST(ExportCBitExact, EveryRegistryOp) {
  std::mt19937 rng(7003);
  Batch b;
  int n = 0;  // an op may have several samples
  for (int round = 0; round < 2; ++round)
    for (auto& sample : testing::op_samples(rng)) {
      HostCase c;
      c.model = std::move(sample.model);
      ExportCOptions eo;
      eo.name = "op_" + sample.op + std::to_string(n++);
      c.exported = export_c(c.model, eo);
      c.images = test_images(rng, std::get<IntInputOp>(c.model.ops[0]).shape);
      b.cases.push_back(std::move(c));
    }
  expect_bit_exact(b, int(b.cases.size()));
}

TEST(ExportCBitExact, TinierYoloFace160x120) {
  const HostCase c = tinier_yolo_face_160x120();
  expect_cases_bit_exact({c});
  // The microcontroller budget (issue 7): 128 KB of RAM in all; the arena
  // holds the image, the feature maps and the output.
  std::printf("tinier-yolo-face 160x120: arena %lld bytes, parameters %lld bytes\n",
              (long long)c.exported.plan.arena_bytes, (long long)c.exported.parameter_bytes);
  EXPECT_LE(c.exported.plan.arena_bytes, 128 * 1024);
}

// DupNet-Tinier-YOLO (issue 12) at 320x240: shared filters in the C runtime,
// and its parameters a seventh of IFQ-Tinier-YOLO's.
TEST(ExportCBitExact, DupNetTinierYoloFace320x240) {
  std::mt19937 rng(16);
  const HostCase c = exported_case(dupnet_tinier_yolo_face(320, 240, 15), "dupface", {random_image(rng, {3, 240, 320})});
  TempDir dir;
  const HostRun run = run_on_host({c}, dir.path());
  EXPECT_EQ(compare_with_reference(c, run, 0), "");
  std::printf("dupnet-tinier-yolo-face 320x240: arena %lld bytes, parameters %lld bytes\n",
              (long long)c.exported.plan.arena_bytes, (long long)c.exported.parameter_bytes);
  EXPECT_LE(c.exported.parameter_bytes, 64 * 1024);
}

// The full-size detector: larger maps, same code paths; one image.
TEST(ExportCBitExact, TinierYoloFace416x416) {
  std::mt19937 rng(14);
  const HostCase c = exported_case(tinier_yolo_face(416, 416, 13), "face416", {random_image(rng, {3, 416, 416})});
  TempDir dir;
  const HostRun run = run_on_host({c}, dir.path());
  EXPECT_EQ(compare_with_reference(c, run, 0), "");
  std::printf("tinier-yolo-face 416x416: arena %lld bytes\n", (long long)c.exported.plan.arena_bytes);
}

TEST(ExportCBitExact, FashionClassifier) { expect_cases_bit_exact({fashion_classifier_case()}); }

// Fixed (multi-bit) weights (issue 13): the binary layers of the classifier
// given random b-bit codes over the whole range and a zero point; the
// exported C holds the integer weights q - zero_point and must match too.
FloatModel with_random_fixed_weights(FloatModel m, int bits, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> code(fixed_code_min(bits), fixed_code_max(bits));
  auto make_fixed = [&](auto& l, int outputs) {
    if (l.weight_kind != WeightKind::Binary) return;
    l.weight_kind = WeightKind::Fixed;
    l.fixed = {bits, code(rng)};
    for (float& w : l.weight) w = float(code(rng));
    l.weight.front() = float(fixed_code_min(bits));
    l.weight.back() = float(fixed_code_max(bits));
    l.alpha.assign(size_t(outputs), l.alpha.empty() ? 0.1f : l.alpha[0] / float(1 << (bits - 1)));
  };
  for (Layer& l : m.layers) {
    if (auto* c = std::get_if<ConvLayer>(&l)) make_fixed(*c, c->out_channels);
    if (auto* f = std::get_if<FcLayer>(&l)) make_fixed(*f, f->out_features);
  }
  return m;
}

TEST(ExportCBitExact, FixedWeightClassifiers) {
  std::vector<HostCase> cases;
  std::mt19937 rng(23);
  for (int bits : {2, 5, 8}) {
    const FloatModel fm = with_random_fixed_weights(fashion_classifier(21), bits, uint32_t(bits));
    cases.push_back(exported_case(fm, "fixed" + std::to_string(bits), test_images(rng, {1, 28, 28})));
    int widest = 0;
    for (const auto& op : cases.back().model.ops)
      if (auto* c = std::get_if<IntConvOp>(&op)) widest = std::max(widest, c->weight_bits);
    EXPECT_GE(widest, bits) << "the fixed conv keeps its multi-bit weights";
  }
  expect_cases_bit_exact(cases);
}

}  // namespace
}  // namespace ifq::export_test
