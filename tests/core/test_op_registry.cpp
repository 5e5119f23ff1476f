// The op registry (include/ifq/ops/op_list.hpp): every op is on the sample
// list, survives the model file unchanged, and has its stored fields' limits
// enforced by validation; the clamp op (docs/adding-an-op.md's example)
// computes what it says.
#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <limits>
#include <random>
#include <set>

#include "ifq/error.hpp"
#include "ifq/memory.hpp"
#include "ifq/model_io.hpp"
#include "ifq/runtime.hpp"
#include "op_samples/op_samples.hpp"
#include "ops/op_definitions.hpp"
#include "temp_dir.hpp"

namespace ifq {
namespace {

std::vector<uint8_t> random_image(const Shape3& s, std::mt19937& rng) {
  std::vector<uint8_t> img(size_t(s.elements()));
  for (auto& v : img) v = uint8_t(rng());
  return img;
}

TEST(OpRegistry, EveryOpHasASample) {
  std::mt19937 rng(1);
  std::set<std::string> sampled;
  for (const auto& s : testing::op_samples(rng)) {
    sampled.insert(s.op);
    EXPECT_NO_THROW(infer_int_shapes(s.model)) << s.op;
    EXPECT_TRUE(std::any_of(s.model.ops.begin(), s.model.ops.end(),
                            [&](const IntOp& op) { return int_op_name(op) == s.op; }))
        << "the sample for " << s.op << " does not contain it";
  }
  for (const auto& name : testing::registry_op_names())
    EXPECT_TRUE(sampled.count(name)) << "op '" << name << "' has no sample in tests/op_samples";
  EXPECT_EQ(sampled.size(), testing::registry_op_names().size());
}

TEST(OpRegistry, SaveLoadSaveIsByteIdenticalAndRunsTheSame) {
  std::mt19937 rng(2);
  testing::TempDir dir;
  for (const auto& s : testing::op_samples(rng)) {
    const std::string a = dir.file(s.op + ".a.ifqi"), b = dir.file(s.op + ".b.ifqi");
    save_int_model(s.model, a);
    const IntModel loaded = load_int_model(a);
    save_int_model(loaded, b);
    EXPECT_EQ(testing::read_bytes(a), testing::read_bytes(b)) << s.op;
    ReferenceRuntime original(s.model), reloaded(loaded);
    for (int k = 0; k < 3; ++k) {
      const auto image = random_image(original.shapes()[0], rng);
      EXPECT_EQ(original.run(image).data, reloaded.run(image).data) << s.op;
    }
    EXPECT_EQ(account_memory(loaded).ops.size(), loaded.ops.size()) << s.op;
  }
}

// Moves one scalar field of the op under test just past its declared limit.
class PushPastLimit final : public ops::OpFields {
 public:
  explicit PushPastLimit(int target) : target_(target) {}
  int scalars = 0;  // scalar fields seen
  bool pushed = false;
  void attr(const char*, int& v, int64_t lo, int64_t hi) override { push(v, lo, hi); }
  void attr(const char*, int64_t& v, int64_t lo, int64_t hi) override { push(v, lo, hi); }
  void attr_list(const char*, std::vector<int32_t>&, size_t, int64_t, int64_t) override {}
  void tensor(const char*, std::vector<int32_t>&, size_t) override {}
  void tensor(const char*, std::vector<int64_t>&, size_t, int64_t, int64_t) override {}
  void weights(std::vector<int32_t>&, int, size_t) override {}
  void optional_flags(const char*, std::vector<uint8_t>&, size_t) override {}
  void added_attr(const char*, int& v, int64_t lo, int64_t hi, int) override { push(v, lo, hi); }
  void added_flags(const char*, std::vector<uint8_t>&, size_t) override {}

 private:
  template <class T>
  void push(T& v, int64_t lo, int64_t hi) {
    if (scalars++ != target_) return;
    if (hi < int64_t(std::numeric_limits<T>::max())) v = T(hi + 1), pushed = true;
    else if (lo > int64_t(std::numeric_limits<T>::min())) v = T(lo - 1), pushed = true;
  }
  int target_;
};

TEST(OpRegistry, ValidationEnforcesEveryDeclaredScalarLimit) {
  std::mt19937 rng(3);
  int checked = 0;
  for (const auto& s : testing::op_samples(rng)) {
    const size_t index = s.op == "input" ? 0 : s.model.ops.size() - 1;
    for (int target = 0;; ++target) {
      IntModel broken = s.model;
      PushPastLimit push(target);
      const Shape3 in = index > 0 ? infer_int_shapes(s.model)[index - 1] : Shape3{};
      ops::visit_fields(broken.ops[index], push, in);
      if (target >= push.scalars) break;
      if (!push.pushed) continue;  // a limit the field's type cannot pass
      EXPECT_THROW(infer_int_shapes(broken), Error) << s.op << " scalar field " << target;
      ++checked;
    }
  }
  EXPECT_GT(checked, 20);
}

// The output entry must describe the last op (issue 15 finding: a detector
// whose entry said levels decoded 254 "faces" where the intact one found 3;
// a missing entry silently meant 0 fractional bits).
TEST(OpRegistry, OutputEntryMustDescribeTheLastOp) {
  std::mt19937 rng(5);
  testing::TempDir dir;
  for (const auto& s : testing::op_samples(rng)) {
    if (s.op != "threshold" && s.op != "requant") continue;
    IntModel wrong = s.model;
    if (s.op == "threshold") {
      wrong.output.is_levels = false;
      EXPECT_THROW(save_int_model(wrong, dir.file("w.ifqi")), Error);
      wrong.output = s.model.output;
      wrong.output.bits = 3;
      EXPECT_THROW(save_int_model(wrong, dir.file("w.ifqi")), Error);
      continue;
    }
    wrong.output.is_levels = true;
    wrong.output.bits = 2;
    wrong.output.level_step = 1;
    EXPECT_THROW(save_int_model(wrong, dir.file("w.ifqi")), Error);
    // A file whose entry names other fractional bits than its last requant
    // (same length, so the container stays intact) is refused at load.
    const std::string good = dir.file("requant.ifqi");
    save_int_model(s.model, good);
    std::string bytes = testing::read_bytes(good);
    // (the graph JSON sits escaped inside the container's metadata JSON)
    const std::string from = "frac_bits\\\":" + std::to_string(s.model.output.frac_bits);
    const size_t at = bytes.rfind(from);
    ASSERT_NE(at, std::string::npos);
    bytes[at + from.size() - 1] = char(bytes[at + from.size() - 1] + 1);
    testing::write_bytes(dir.file("bad.ifqi"), bytes);
    try {
      load_int_model(dir.file("bad.ifqi"));
      ADD_FAILURE() << "loaded a file whose output entry is wrong";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("fractional bits"), std::string::npos) << e.what();
    }
  }
}

TEST(OpRegistry, ClampBoundsEveryValueAndRejectsAnEmptyRange) {
  std::mt19937 rng(4);
  for (const auto& s : testing::op_samples(rng)) {
    if (s.op != "clamp") continue;
    const auto& clamp = std::get<IntClampOp>(s.model.ops.back());
    ReferenceRuntime rt(s.model);
    rt.set_record(true);
    const auto out = rt.run(random_image(rt.shapes()[0], rng));
    const auto& before = rt.recorded()[rt.recorded().size() - 2].data;
    for (size_t i = 0; i < out.data.size(); ++i) ASSERT_EQ(out.data[i], std::clamp(before[i], clamp.lo, clamp.hi));
    IntModel empty = s.model;
    std::get<IntClampOp>(empty.ops.back()) = {5, 4};
    EXPECT_THROW(infer_int_shapes(empty), Error);
  }
}

}  // namespace
}  // namespace ifq
