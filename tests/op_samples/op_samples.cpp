#include "op_samples.hpp"

#include <algorithm>
#include <climits>

namespace ifq::testing {
namespace {

int uniform(std::mt19937& rng, int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }

// input 3xHxW -> 4-bit integer conv 3->4 (accumulators of a few thousand).
IntModel prefix(std::mt19937& rng, const std::string& name, int side = 10) {
  IntModel m;
  m.name = name;
  m.ops.push_back(IntInputOp{{3, side, side}, {uniform(rng, 0, 255), uniform(rng, 0, 255), uniform(rng, 0, 255)}});
  IntConvOp c;
  c.in_channels = 3;
  c.out_channels = 4;
  c.kernel = 3;
  c.pad = 1;
  c.weight_bits = 4;
  for (int i = 0; i < 4 * 3 * 9; ++i) c.weight.push_back(uniform(rng, -8, 7));
  m.ops.push_back(c);
  return m;
}

// Ascending thresholds for accumulators of standard deviation ~sigma, with
// the "always" / "never" sentinels on some channels.
IntThresholdOp thresholds(std::mt19937& rng, int channels, int bits, int sigma) {
  IntThresholdOp t;
  t.bits = bits;
  t.channels = channels;
  const int n = (1 << bits) - 1;
  for (int c = 0; c < channels; ++c) {
    std::vector<int32_t> row;
    for (int i = 0; i < n; ++i) row.push_back(uniform(rng, -sigma, sigma));
    if (c == 1) row[0] = INT32_MIN;
    if (c == 2) row[size_t(n) - 1] = INT32_MAX;
    std::sort(row.begin(), row.end());
    t.thresholds.insert(t.thresholds.end(), row.begin(), row.end());
  }
  return t;
}

template <class Op>
OpSample after_prefix(std::mt19937& rng, const std::string& op, Op o) {
  OpSample s{op, prefix(rng, "sample_" + op)};
  s.model.ops.push_back(std::move(o));
  return s;
}

// The output entry the sample's last op implies (check_int_output_info).
void describe_output(IntModel& m) {
  ValueRange r;
  for (const IntOp& op : m.ops) r = int_op_output_range(op, r);
  m.output = {};
  if (r.level_bits()) {
    m.output.is_levels = true;
    m.output.bits = r.level_bits();
    m.output.level_step = 1;
  }
  for (auto it = m.ops.rbegin(); it != m.ops.rend() && !m.output.is_levels; ++it)
    if (const auto* q = std::get_if<IntRequantOp>(&*it)) {
      m.output.frac_bits = q->frac_bits;
      break;
    }
}

}  // namespace

std::vector<std::string> registry_op_names() {
  std::vector<std::string> names;
#define IFQ_SAMPLE_NAME(T, name, role) names.push_back(#name);
  IFQ_INT_OPS(IFQ_SAMPLE_NAME)
#undef IFQ_SAMPLE_NAME
  return names;
}

std::vector<OpSample> op_samples(std::mt19937& rng) {
  std::vector<OpSample> s;
  s.push_back({"input", prefix(rng, "sample_input")});
  {  // binary conv on 2-bit levels (the fast runtime's popcount path)
    OpSample b{"conv", prefix(rng, "sample_conv")};
    b.model.ops.push_back(thresholds(rng, 4, 2, 800));
    IntConvOp c;
    c.in_channels = 4;
    c.out_channels = 5;
    c.kernel = 3;
    c.pad = 1;
    for (int i = 0; i < 5 * 4 * 9; ++i) c.weight.push_back(rng() % 2 ? 1 : -1);
    b.model.ops.push_back(c);
    s.push_back(b);
  }
  {  // DupNet sharing on the pixels: 2 stored filters read the image twice,
     // copied 3 times, some copies negated (the pixel kernel's shared path)
    OpSample d{"conv", prefix(rng, "sample_conv_shared_pixels")};
    auto& first = std::get<IntConvOp>(d.model.ops[1]);
    first.out_channels = 6;
    first.duplicate = 3;
    first.input_repeat = 2;
    first.weight.clear();
    for (int i = 0; i < 2 * 2 * 3 * 9; ++i) first.weight.push_back(uniform(rng, -8, 7));
    first.negate = {0, 1, 1, 0, 0, 1};
    s.push_back(d);
  }
  {  // DupNet sharing on 2-bit levels: 3 stored binary filters, each reading
     // the input 2 times, copied twice; an overlapping pool takes the min of
     // the negated copies, then thresholds (the popcount kernel's shared path)
    OpSample d{"conv", prefix(rng, "sample_conv_shared_levels")};
    d.model.ops.push_back(thresholds(rng, 4, 2, 800));
    IntConvOp c;
    c.in_channels = 4;
    c.out_channels = 6;
    c.kernel = 3;
    c.pad = 1;
    c.duplicate = 2;
    c.input_repeat = 2;
    for (int i = 0; i < 3 * 2 * 4 * 9; ++i) c.weight.push_back(rng() % 2 ? 1 : -1);
    c.negate = {1, 0, 0, 0, 1, 1};
    d.model.ops.push_back(c);
    d.model.ops.push_back(IntMaxPoolOp{2, 1, 1, c.negate});
    d.model.ops.push_back(thresholds(rng, 6, 2, 40));
    s.push_back(d);
  }
  {  // fc on levels
    OpSample f{"fc", prefix(rng, "sample_fc", 6)};
    f.model.ops.push_back(thresholds(rng, 4, 2, 800));
    IntFcOp fc;
    fc.in_features = 4 * 6 * 6;
    fc.out_features = 6;
    fc.weight_bits = 3;
    for (int i = 0; i < fc.in_features * fc.out_features; ++i) fc.weight.push_back(uniform(rng, -4, 3));
    f.model.ops.push_back(fc);
    s.push_back(f);
  }
  {  // an overlapping pool with min channels, then a 2x2 one
    OpSample p{"maxpool", prefix(rng, "sample_maxpool")};
    p.model.ops.push_back(IntMaxPoolOp{3, 1, 2, {1, 0, 0, 1}});
    p.model.ops.push_back(IntMaxPoolOp{2, 2, 0, {}});
    s.push_back(p);
  }
  s.push_back(after_prefix(rng, "threshold", thresholds(rng, 4, 2, 800)));
  {
    IntRequantOp r;
    r.shift = uniform(rng, 0, 8);
    r.frac_bits = 4;
    for (int c = 0; c < 4; ++c) r.multiplier.push_back(uniform(rng, -5000, 5000)), r.bias.push_back(uniform(rng, -900, 900));
    s.push_back(after_prefix(rng, "requant", r));
  }
  {
    IntBatchNormOp b;
    b.shift = uniform(rng, 0, 10);
    for (int c = 0; c < 4; ++c)
      b.mean.push_back(uniform(rng, -300, 300)), b.scale.push_back(uniform(rng, -3000, 3000)),
          b.beta.push_back(uniform(rng, -500, 500));
    s.push_back(after_prefix(rng, "batchnorm", b));
  }
  {
    IntQuantOp q;
    q.bits = 3;
    for (int i = 0; i < 7; ++i) q.thresholds.push_back(uniform(rng, -1500, 1500));
    std::sort(q.thresholds.begin(), q.thresholds.end());
    s.push_back(after_prefix(rng, "quant", q));
  }
  s.push_back(after_prefix(rng, "relu", IntReluOp{}));
  s.push_back(after_prefix(rng, "leaky", IntLeakyOp{uniform(rng, 1, 6), uniform(rng, 0, 40)}));
  {
    const int lo = uniform(rng, -600, 0);
    s.push_back(after_prefix(rng, "clamp", IntClampOp{lo, lo + uniform(rng, 0, 900)}));
  }
  for (auto& sample : s) describe_output(sample.model);
  return s;
}

}  // namespace ifq::testing
