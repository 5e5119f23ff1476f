// cfg sections -> FloatModel layers. The mapping (docs/cfg.md):
//   [convolutional]  conv [-> maxpool(pool_size)] [-> batchnorm] [-> activation]
//   [connected]      fc   [-> batchnorm] [-> activation]
//   [maxpool]        maxpool (Darknet geometry: padding defaults to size-1)
//   [region]         region
// so a binary conv with pool_size and activation=hwgq is exactly the paper's
// quantized substructure {conv, pool, BN, quant} that the converter looks for.
#include <cmath>
#include <fstream>
#include <sstream>

#include "cfg/cfg_text.hpp"
#include "ifq/cfg.hpp"
#include "ifq/error.hpp"
#include "ifq/limits.hpp"

namespace ifq {
namespace {

using cfg_detail::CfgSection;
using cfg_detail::SectionReader;

// Darknet keys that only concern Darknet's own training/data pipeline.
const std::vector<std::string> kIgnoredNetKeys = {
    "subdivisions", "angle", "saturation", "exposure", "hue", "min_crop",
    "max_crop", "aspect", "flip", "mosaic", "inputs", "time_steps", "max_epochs", "adam_b1",
    "adam_b2", "adam_eps", "crop_width", "crop_height", "letter_box", "track"};
const std::vector<std::string> kIgnoredConvKeys = {"flipped", "dot"};
const std::vector<std::string> kRegionTrainingKeys = {
    "jitter", "rescore", "object_scale", "noobject_scale", "class_scale", "coord_scale", "thresh",
    "bias_match", "absolute", "random", "softmax", "max"};

// A small, portable random source: the same seed gives the same weights on
// every standard library (std::*_distribution is implementation-defined).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull) {}
  uint64_t next() {  // splitmix64
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform(double lo, double hi) { return lo + (hi - lo) * double(next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

struct Builder {
  const CfgOptions& options;
  std::string source;
  Rng rng;
  CfgNetwork net;
  Shape3 cur{};
  int section_index = 0;
  int section_line = 0;
  int64_t weights_so_far = 0;
  std::string section_type;

  void push(Layer layer) {
    net.model.layers.push_back(std::move(layer));
    net.origin.push_back({section_index, section_line, section_type});
  }

  // He-uniform latent weights; alpha = mean |W| per output for binary ones.
  // `rows` stored filters of `fan_in` weights for `out` outputs (rows < out
  // for a duplicated conv: output o's alpha is its stored filter's mean |w|).
  // A network beyond options.max_weights is refused at the section that
  // crosses it, before anything is allocated.
  void init_weights(SectionReader& r, const char* key, std::vector<float>& w, std::vector<float>& alpha,
                    WeightKind kind, int out, int64_t fan_in, int rows) {
    weights_so_far += int64_t(rows) * fan_in;
    if (weights_so_far > options.max_weights)
      r.fail(key, "the network would hold " + std::to_string(weights_so_far) + " weights; ifq builds at most " +
                      std::to_string(options.max_weights) +
                      (options.max_weights == limits::kMaxNetworkWeights ? " (limits::kMaxNetworkWeights)" : ""));
    w.assign(size_t(rows) * size_t(fan_in), 0.0f);
    if (options.random_weights) {
      const double bound = std::sqrt(6.0 / double(fan_in));
      for (float& v : w) v = float(rng.uniform(-bound, bound));
    }
    alpha.clear();
    if (kind == WeightKind::Binary) {
      alpha.assign(size_t(out), 0.0f);
      for (int o = 0; o < out; ++o) {
        double s = 0;
        for (int64_t i = 0; i < fan_in; ++i) s += std::fabs(w[size_t(o % rows) * size_t(fan_in) + size_t(i)]);
        alpha[size_t(o)] = float(s / double(fan_in));
      }
      if (!options.random_weights)
        for (float& a : alpha) a = 1.0f;
    }
  }

  void init_bias(std::vector<float>& bias, int out) {
    bias.assign(size_t(out), 0.0f);
  }

  BatchNormLayer make_bn(int channels, bool affine, double eps) {
    BatchNormLayer bn;
    bn.mean.assign(size_t(channels), 0.0f);
    bn.var.assign(size_t(channels), 1.0f);
    if (affine) {
      bn.gamma.assign(size_t(channels), 1.0f);
      bn.beta.assign(size_t(channels), 0.0f);
    }
    bn.eps = float(eps);
    return bn;
  }

  // activation=..., plus quant_bits / hwgq_step for hwgq.
  void add_activation(SectionReader& r) {
    const std::string act = r.require_string("activation");
    const bool has_bits = r.has("quant_bits"), has_step = r.has("hwgq_step");
    if (act == "hwgq") {
      int bits = r.get_int("quant_bits", 2, 1, 8);
      double step = r.get_double("hwgq_step", hwgq_default_step(bits), 1e-9, 1e9);
      if (options.quant_bits > 0 && options.quant_bits != bits) {
        // A step chosen for another k would be wrong for the new one.
        bits = options.quant_bits;
        step = hwgq_default_step(bits);
      }
      push(HwgqLayer{bits, float(step)});
      return;
    }
    if (has_bits || has_step) r.fail(has_bits ? "quant_bits" : "hwgq_step", "only valid with activation=hwgq");
    if (act == "linear") return;
    if (act == "relu") {
      push(ReluLayer{});
      return;
    }
    if (act == "leaky") {
      push(LeakyLayer{0.1f});
      return;
    }
    r.fail("activation", "unsupported activation '" + act + "' (linear, relu, leaky, hwgq)");
  }

  WeightKind read_weight_kind(SectionReader& r) {
    if (r.has("xnor") && r.get_int("xnor", 0, 0, 1) == 1)
      r.fail("xnor", "XNOR (binary) activations are not supported; use activation=hwgq with quant_bits");
    return r.get_int("binary", 0, 0, 1) ? WeightKind::Binary : WeightKind::Float;
  }

  void net_section(SectionReader& r) {
    InputLayer in;
    in.shape.w = r.get_int("width", 0, 1, 16384);
    in.shape.h = r.get_int("height", 0, 1, 16384);
    in.shape.c = r.get_int("channels", 0, 1, 4096);
    if (options.width > 0) in.shape.w = options.width;
    if (options.height > 0) in.shape.h = options.height;
    if (options.channels > 0) in.shape.c = options.channels;
    if (in.shape.w <= 0) r.fail("width", "required key is missing");
    if (in.shape.h <= 0) r.fail("height", "required key is missing");
    if (in.shape.c <= 0) r.fail("channels", "required key is missing");
    std::vector<double> mean = r.get_doubles("mean"), stdv = r.get_doubles("std");
    if (mean.empty()) mean = {0.0};
    if (stdv.empty()) stdv = {255.0};  // Darknet feeds pixel / 255
    auto per_channel = [&](std::vector<double>& v, const char* key) {
      if (v.size() == 1) v.assign(size_t(in.shape.c), v[0]);
      if (v.size() != size_t(in.shape.c))
        r.fail(key, "needs 1 or " + std::to_string(in.shape.c) + " values (one per channel), got " +
                        std::to_string(v.size()));
    };
    per_channel(mean, "mean");
    per_channel(stdv, "std");
    for (double m : mean) {
      if (m != std::floor(m) || m < 0 || m > 255)
        r.fail("mean", "must be an integer pixel value 0..255 (the integer runtime subtracts it exactly)");
      in.mean.push_back(int(m));
    }
    for (double s : stdv) {
      if (!(s > 0)) r.fail("std", "must be positive");
      in.std.push_back(float(s));
    }

    CfgTraining& t = net.training;
    t.batch = r.get_int("batch", t.batch, 1, 1 << 20);
    t.learning_rate = r.get_double("learning_rate", t.learning_rate, 0, 1e3);
    t.momentum = r.get_double("momentum", t.momentum, 0, 1);
    t.decay = r.get_double("decay", t.decay, 0, 1);
    t.max_batches = r.get_int("max_batches", t.max_batches, 0, 1 << 30);
    t.policy = r.get_string("policy", t.policy);
    if (t.policy != "steps" && t.policy != "constant")
      r.fail("policy", "unsupported policy '" + t.policy + "' (steps, constant)");
    t.steps = r.get_ints("steps", 0, 1 << 30);
    t.scales = r.get_doubles("scales");
    if (t.policy == "steps" && t.steps.size() != t.scales.size())
      r.fail("scales", "needs one value per entry of steps (" + std::to_string(t.steps.size()) + ")");
    for (size_t i = 1; i < t.steps.size(); ++i)
      if (t.steps[i] < t.steps[i - 1]) r.fail("steps", "must be non-decreasing");
    t.burn_in = r.get_int("burn_in", t.burn_in, 0, 1 << 30);
    t.burn_in_power = r.get_double("power", t.burn_in_power, 0, 100);
    t.optimizer = r.get_string("optimizer", t.optimizer);
    if (t.optimizer != "sgd" && t.optimizer != "adam")
      r.fail("optimizer", "unsupported optimizer '" + t.optimizer + "' (sgd, adam)");
    auto ignored = r.accept_ignored(kIgnoredNetKeys);
    net.ignored_keys.insert(net.ignored_keys.end(), ignored.begin(), ignored.end());
    r.reject_unknown();
    push(in);
    cur = in.shape;
  }

  void conv_section(SectionReader& r) {
    ConvLayer c;
    c.out_channels = r.require_int("filters", 1, 65536);
    c.kernel = r.get_int("size", 1, 1, 64);
    c.stride = r.get_int("stride", 1, 1, 64);
    const int pad_flag = r.get_int("pad", 0, 0, 1);
    c.pad = r.get_int("padding", pad_flag ? c.kernel / 2 : 0, 0, 64);
    if (r.get_int("groups", 1, 1, 1 << 16) != 1) r.fail("groups", "grouped convolution is not supported");
    if (r.get_int("dilation", 1, 1, 64) != 1) r.fail("dilation", "dilated convolution is not supported");
    // DupNet weight sharing (ConvLayer): stored filters copied, input read repeatedly.
    c.duplicate = r.get_int("duplicate", 1, 1, c.out_channels);
    if (c.out_channels % c.duplicate != 0)
      r.fail("duplicate", "duplicate=" + std::to_string(c.duplicate) + " must divide filters=" +
                              std::to_string(c.out_channels));
    c.input_repeat = r.get_int("input_repeat", 1, 1, limits::kMaxInputRepeat);
    c.weight_kind = read_weight_kind(r);
    const bool bn = r.get_int("batch_normalize", 0, 0, 1) == 1;
    if (cur.h + 2 * c.pad < c.kernel || cur.w + 2 * c.pad < c.kernel)
      r.fail("size", "kernel " + std::to_string(c.kernel) + " larger than the padded input " + cur.str());
    init_weights(r, "filters", c.weight, c.alpha, c.weight_kind, c.out_channels, c.filter_size(cur.c),
                 c.unique_filters());
    if (!bn) init_bias(c.bias, c.out_channels);
    const int out = c.out_channels;
    cur = {out, conv_out_size(cur.h, c.kernel, c.stride, c.pad), conv_out_size(cur.w, c.kernel, c.stride, c.pad)};
    push(std::move(c));
    pool_and_bn(r, bn, out);
    add_activation(r);
    auto ignored = r.accept_ignored(kIgnoredConvKeys);
    net.ignored_keys.insert(net.ignored_keys.end(), ignored.begin(), ignored.end());
    r.reject_unknown();
  }

  // The in-layer pool (before BN) and the BN itself.
  void pool_and_bn(SectionReader& r, bool bn, int channels) {
    if (r.has("pool_size") || r.has("pool_stride")) {
      MaxPoolLayer p;
      p.stride = r.get_int("pool_stride", 0, 1, 64);
      p.size = r.get_int("pool_size", p.stride, 1, 64);
      if (p.stride == 0) p.stride = p.size;
      p.pad = r.get_int("pool_padding", 0, 0, 64);
      if (cur.h + p.pad < p.size || cur.w + p.pad < p.size)
        r.fail("pool_size", "window larger than the input " + cur.str());
      cur = {cur.c, pool_out_size(cur.h, p.size, p.stride, p.pad), pool_out_size(cur.w, p.size, p.stride, p.pad)};
      push(p);
    } else if (r.has("pool_padding")) {
      r.fail("pool_padding", "only valid with pool_size");
    }
    const bool affine = r.get_int("bn_affine", 1, 0, 1) == 1;
    const double eps = r.get_double("bn_eps", 1e-5, 0, 1);
    if (!bn) {
      if (r.has("bn_affine")) r.fail("bn_affine", "only valid with batch_normalize=1");
      if (r.has("bn_eps")) r.fail("bn_eps", "only valid with batch_normalize=1");
      return;
    }
    push(make_bn(channels, affine, eps));
  }

  void connected_section(SectionReader& r) {
    FcLayer f;
    f.out_features = r.require_int("output", 1, 1 << 24);
    f.weight_kind = read_weight_kind(r);
    const bool bn = r.get_int("batch_normalize", 0, 0, 1) == 1;
    init_weights(r, "output", f.weight, f.alpha, f.weight_kind, f.out_features, cur.elements(), f.out_features);
    if (!bn) init_bias(f.bias, f.out_features);
    const int out = f.out_features;
    cur = {out, 1, 1};
    push(std::move(f));
    if (r.has("pool_size")) r.fail("pool_size", "not valid in [connected]");
    pool_and_bn(r, bn, out);
    add_activation(r);
    r.reject_unknown();
  }

  void maxpool_section(SectionReader& r) {
    MaxPoolLayer p;
    p.stride = r.get_int("stride", 1, 1, 64);
    p.size = r.get_int("size", p.stride, 1, 64);
    p.pad = r.get_int("padding", p.size - 1, 0, 64);
    if (cur.h + p.pad < p.size || cur.w + p.pad < p.size)
      r.fail("size", "window larger than the input " + cur.str());
    cur = {cur.c, pool_out_size(cur.h, p.size, p.stride, p.pad), pool_out_size(cur.w, p.size, p.stride, p.pad)};
    r.reject_unknown();
    push(p);
  }

  void region_section(SectionReader& r) {
    RegionLayer g;
    g.classes = r.get_int("classes", 1, 1, 1 << 16);
    g.num = r.get_int("num", 5, 1, 1024);
    g.coords = r.get_int("coords", 4, 4, 4);
    for (double a : r.get_doubles("anchors")) g.anchors.push_back(float(a));
    if (g.anchors.size() != size_t(2 * g.num))
      r.fail("anchors", "needs 2*num = " + std::to_string(2 * g.num) + " values, got " + std::to_string(g.anchors.size()));
    g.scale_x_y = float(r.get_double("scale_x_y", 1, kMinScaleXY, kMaxScaleXY));
    if (cur.c != g.num * (g.coords + 1 + g.classes))
      r.fail_section("the previous layer has " + std::to_string(cur.c) + " channels, the region needs num*(coords+1+classes) = " +
                     std::to_string(g.num * (g.coords + 1 + g.classes)));
    for (const auto& key : kRegionTrainingKeys)
      if (r.has(key)) net.region_params[key] = r.get_double(key, 0, -1e9, 1e9);
    r.reject_unknown();
    push(g);
  }
};

}  // namespace

CfgNetwork parse_cfg(const std::string& text, const std::string& source, const CfgOptions& options) {
  if (options.quant_bits < 0 || options.quant_bits > 8)
    throw Error("quant_bits override must be 1..8, got " + std::to_string(options.quant_bits));
  auto sections = cfg_detail::split_cfg_sections(text, source);
  Builder b{options, source, Rng(options.seed), {}, {}, 0, 0, {}};
  b.net.model.name = source;
  if (size_t slash = source.find_last_of('/'); slash != std::string::npos) b.net.model.name = source.substr(slash + 1);
  if (size_t dot = b.net.model.name.rfind(".cfg"); dot != std::string::npos && dot + 4 == b.net.model.name.size())
    b.net.model.name.resize(dot);
  for (size_t i = 0; i < sections.size(); ++i) {
    CfgSection& s = sections[i];
    SectionReader r(s, source);
    b.section_index = int(i);
    b.section_line = s.line;
    b.section_type = s.name;
    const bool is_net = s.name == "net" || s.name == "network";
    if (i == 0 && !is_net) r.fail_section("the first section must be [net]");
    if (i > 0 && is_net) r.fail_section("[net] may appear only once, first");
    if (i > 0 && !b.net.model.layers.empty() &&
        std::holds_alternative<RegionLayer>(b.net.model.layers.back()))
      r.fail_section("no layer may follow [region]");
    if (is_net) b.net_section(r);
    else if (s.name == "convolutional" || s.name == "conv") b.conv_section(r);
    else if (s.name == "connected") b.connected_section(r);
    else if (s.name == "maxpool" || s.name == "max") b.maxpool_section(r);
    else if (s.name == "region") b.region_section(r);
    else if (s.name == "softmax") {
      // Classification outputs are scored by argmax / cross-entropy on the
      // logits, so Darknet's [softmax] adds no inference layer.
      r.get_int("groups", 1, 1, 1);
      r.reject_unknown();
    } else
      r.fail_section("unsupported section [" + s.name +
                     "] (supported: net, convolutional, connected, maxpool, region, softmax)");
  }
  if (b.net.model.layers.size() < 2) throw Error(source + ": the network has no layers after [net]");
  try {
    infer_shapes(b.net.model);
  } catch (const Error& e) {
    throw Error(source + ": " + e.what());
  }
  return std::move(b.net);
}

CfgNetwork load_cfg_network(const std::string& path, const CfgOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open cfg file '" + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw Error("cannot read cfg file '" + path + "'");
  return parse_cfg(ss.str(), path, options);
}

FloatModel load_cfg(const std::string& path, const CfgOptions& options) {
  return load_cfg_network(path, options).model;
}

}  // namespace ifq
