// The integer model file (docs/model-format.md): safetensors with
// __metadata__ {"ifq.format": "ifq-int-model", "ifq.version": "1",
// "ifq.graph": "<JSON>"} and tensors named "ops.<i>.<param>". Binary weights
// are bit-packed (bit 1 = +1, LSB first, the whole [out][in][k][k] array as
// one bit string); every other integer array is stored in the narrowest of
// I8/I16/I32/I64 that holds it.
#include <nlohmann/json.hpp>

#include "core/overloaded.hpp"
#include "format/graph_json.hpp"
#include "format/safetensors.hpp"
#include "ifq/limits.hpp"
#include "ifq/model_io.hpp"

namespace ifq {
namespace {

constexpr const char* kIntFormat = "ifq-int-model";

std::string key(size_t i, const char* param) { return "ops." + std::to_string(i) + "." + param; }

std::vector<int64_t> widen(const std::vector<int32_t>& v) { return {v.begin(), v.end()}; }

std::vector<int32_t> narrow32(const std::vector<int64_t>& v, const std::string& where) {
  std::vector<int32_t> out;
  out.reserve(v.size());
  for (int64_t x : v) {
    if (x < INT32_MIN || x > INT32_MAX) throw Error(where + ": value out of int32 range");
    out.push_back(int32_t(x));
  }
  return out;
}

void write_weights(format::SafetensorsWriter& w, size_t i, const std::vector<int32_t>& weight, int bits) {
  if (bits != 1) {
    w.add_ints(key(i, "weight"), widen(weight));
    return;
  }
  std::vector<uint8_t> packed((weight.size() + 7) / 8, 0);
  for (size_t k = 0; k < weight.size(); ++k)
    if (weight[k] > 0) packed[k / 8] |= uint8_t(1u << (k % 8));
  w.add_u8(key(i, "weight_bits"), packed);
}

std::vector<int32_t> read_weights(const format::SafetensorsReader& r, size_t i, size_t count, int bits,
                                  const std::string& where) {
  if (bits != 1) return narrow32(r.ints(key(i, "weight"), count), where);
  const auto packed = r.u8(key(i, "weight_bits"), (count + 7) / 8);
  if (count % 8 != 0 && (packed.back() >> (count % 8)) != 0)
    throw Error(where + ": padding bits of the packed weights are not zero (corrupt file?)");
  std::vector<int32_t> weight(count);
  for (size_t k = 0; k < count; ++k) weight[k] = (packed[k / 8] >> (k % 8)) & 1 ? 1 : -1;
  return weight;
}

const char* kind_name(SubstructureKind k) { return k == SubstructureKind::Quantized ? "quantized" : "nonquantized"; }
const char* conv_name(ConversionKind k) {
  return k == ConversionKind::Integrated ? "integrated" : k == ConversionKind::Separated ? "separated" : "none";
}

}  // namespace

void save_int_model(const IntModel& model, const std::string& path) {
  infer_int_shapes(model);  // never write a file we could not load back
  format::SafetensorsWriter w;
  nlohmann::json ops = nlohmann::json::array();
  for (size_t i = 0; i < model.ops.size(); ++i) {
    nlohmann::json j;
    j["type"] = int_op_name(model.ops[i]);
    std::visit(Overloaded{
                   [&](const IntInputOp& o) {
                     j["channels"] = o.shape.c;
                     j["height"] = o.shape.h;
                     j["width"] = o.shape.w;
                     j["mean"] = o.mean;
                   },
                   [&](const IntConvOp& o) {
                     j["in_channels"] = o.in_channels;
                     j["out_channels"] = o.out_channels;
                     j["size"] = o.kernel;
                     j["stride"] = o.stride;
                     j["pad"] = o.pad;
                     j["weight_bits"] = o.weight_bits;
                     j["acc_shift"] = o.acc_shift;
                     write_weights(w, i, o.weight, o.weight_bits);
                   },
                   [&](const IntFcOp& o) {
                     j["in_features"] = o.in_features;
                     j["out_features"] = o.out_features;
                     j["weight_bits"] = o.weight_bits;
                     j["acc_shift"] = o.acc_shift;
                     write_weights(w, i, o.weight, o.weight_bits);
                   },
                   [&](const IntMaxPoolOp& o) {
                     j["size"] = o.size;
                     j["stride"] = o.stride;
                     j["pad"] = o.pad;
                     j["take_min"] = !o.take_min.empty();
                     if (!o.take_min.empty()) w.add_u8(key(i, "take_min"), o.take_min);
                   },
                   [&](const IntThresholdOp& o) {
                     j["bits"] = o.bits;
                     j["channels"] = o.channels;
                     w.add_ints(key(i, "thresholds"), widen(o.thresholds));
                   },
                   [&](const IntRequantOp& o) {
                     j["shift"] = o.shift;
                     j["frac_bits"] = o.frac_bits;
                     w.add_ints(key(i, "multiplier"), o.multiplier);
                     w.add_ints(key(i, "bias"), o.bias);
                   },
                   [&](const IntBatchNormOp& o) {
                     j["shift"] = o.shift;
                     w.add_ints(key(i, "mean"), o.mean);
                     w.add_ints(key(i, "scale"), o.scale);
                     w.add_ints(key(i, "beta"), o.beta);
                   },
                   [&](const IntQuantOp& o) {
                     j["bits"] = o.bits;
                     w.add_ints(key(i, "thresholds"), o.thresholds);
                   },
                   [&](const IntReluOp&) {},
                   [&](const IntLeakyOp& o) {
                     j["shift"] = o.shift;
                     j["multiplier"] = o.multiplier;
                   },
               },
               model.ops[i]);
    ops.push_back(j);
  }
  nlohmann::json subs = nlohmann::json::array();
  for (const auto& s : model.substructures)
    subs.push_back({{"kind", kind_name(s.kind)}, {"conversion", conv_name(s.conversion)},
                    {"layer_begin", s.layer_begin}, {"layer_end", s.layer_end},
                    {"op_begin", s.op_begin}, {"op_end", s.op_end}, {"m", s.m}});
  nlohmann::json graph = {
      {"name", model.name},
      {"ops", ops},
      {"substructures", subs},
      {"output", {{"is_levels", model.output.is_levels}, {"bits", model.output.bits},
                  {"level_step", model.output.level_step}, {"frac_bits", model.output.frac_bits}}},
      {"region", {{"present", model.region.present}, {"classes", model.region.classes},
                  {"num", model.region.num}, {"coords", model.region.coords},
                  {"anchors", model.region.anchors}}}};
  w.set_meta("ifq.format", kIntFormat);
  w.set_meta("ifq.version", std::to_string(kIntModelVersion));
  w.set_meta("ifq.graph", graph.dump());
  w.write(path);
}

IntModel load_int_model(const std::string& path) {
  format::SafetensorsReader r(path);
  const auto graph = format::parse_graph(path, r.meta("ifq.format"), r.meta("ifq.version"),
                                         r.meta("ifq.graph"), kIntFormat, kIntModelVersion);
  IntModel model;
  try {
    if (graph.contains("name") && graph["name"].is_string()) model.name = graph["name"].get<std::string>();
    if (!graph.contains("ops") || !graph["ops"].is_array() || graph["ops"].empty())
      throw Error(path + ": graph has no ops");
    if (graph["ops"].size() > size_t(limits::kMaxLayers)) throw Error(path + ": graph has too many ops");
    using format::json_int;
    Shape3 cur{};
    size_t i = 0;
    for (const auto& j : graph["ops"]) {
      const std::string where = path + ": op " + std::to_string(i);
      const std::string type = format::json_string(j, "type", where);
      if (type == "input") {
        IntInputOp o;
        o.shape = {int(json_int(j, "channels", where, 1, limits::kMaxInputChannels)),
                   int(json_int(j, "height", where, 1, limits::kMaxInputSide)),
                   int(json_int(j, "width", where, 1, limits::kMaxInputSide))};
        if (!j.contains("mean") || !j["mean"].is_array()) throw Error(where + ": missing 'mean'");
        for (const auto& m : j["mean"]) o.mean.push_back(m.get<int32_t>());
        model.ops.push_back(o);
      } else if (type == "conv") {
        IntConvOp o;
        o.in_channels = int(json_int(j, "in_channels", where, 1, limits::kMaxChannels));
        o.out_channels = int(json_int(j, "out_channels", where, 1, limits::kMaxChannels));
        o.kernel = int(json_int(j, "size", where, 1, limits::kMaxWindow));
        o.stride = int(json_int(j, "stride", where, 1, limits::kMaxStride));
        o.pad = int(json_int(j, "pad", where, 0, limits::kMaxPad));
        o.weight_bits = int(json_int(j, "weight_bits", where, 1, 24));
        o.acc_shift = int(json_int(j, "acc_shift", where, 0, 62));
        const size_t count = size_t(o.out_channels) * size_t(o.in_channels) * o.kernel * o.kernel;
        if (count > (size_t(1) << 31)) throw Error(where + ": too many weights");
        o.weight = read_weights(r, i, count, o.weight_bits, where);
        model.ops.push_back(o);
      } else if (type == "fc") {
        IntFcOp o;
        o.in_features = int(json_int(j, "in_features", where, 1, int64_t(1) << 30));
        o.out_features = int(json_int(j, "out_features", where, 1, limits::kMaxFeatures));
        o.weight_bits = int(json_int(j, "weight_bits", where, 1, 24));
        o.acc_shift = int(json_int(j, "acc_shift", where, 0, 62));
        const size_t count = size_t(o.out_features) * size_t(o.in_features);
        if (count > (size_t(1) << 31)) throw Error(where + ": too many weights");
        o.weight = read_weights(r, i, count, o.weight_bits, where);
        model.ops.push_back(o);
      } else if (type == "maxpool") {
        IntMaxPoolOp o;
        o.size = int(json_int(j, "size", where, 1, limits::kMaxWindow));
        o.stride = int(json_int(j, "stride", where, 1, limits::kMaxStride));
        o.pad = int(json_int(j, "pad", where, 0, limits::kMaxPad));
        if (j.value("take_min", false)) o.take_min = r.u8(key(i, "take_min"), size_t(cur.c));
        model.ops.push_back(o);
      } else if (type == "threshold") {
        IntThresholdOp o;
        o.bits = int(json_int(j, "bits", where, 1, 8));
        o.channels = int(json_int(j, "channels", where, 1, limits::kMaxChannels));
        o.thresholds = narrow32(r.ints(key(i, "thresholds"), size_t(o.channels) * ((size_t(1) << o.bits) - 1)), where);
        model.ops.push_back(o);
      } else if (type == "requant") {
        IntRequantOp o;
        o.shift = int(json_int(j, "shift", where, 0, 62));
        o.frac_bits = int(json_int(j, "frac_bits", where, 0, 30));
        o.multiplier = r.ints(key(i, "multiplier"), size_t(cur.c));
        o.bias = r.ints(key(i, "bias"), size_t(cur.c));
        model.ops.push_back(o);
      } else if (type == "batchnorm") {
        IntBatchNormOp o;
        o.shift = int(json_int(j, "shift", where, 0, 62));
        o.mean = r.ints(key(i, "mean"), size_t(cur.c));
        o.scale = r.ints(key(i, "scale"), size_t(cur.c));
        o.beta = r.ints(key(i, "beta"), size_t(cur.c));
        model.ops.push_back(o);
      } else if (type == "quant") {
        IntQuantOp o;
        o.bits = int(json_int(j, "bits", where, 1, 8));
        o.thresholds = r.ints(key(i, "thresholds"), (size_t(1) << o.bits) - 1);
        model.ops.push_back(o);
      } else if (type == "relu") {
        model.ops.push_back(IntReluOp{});
      } else if (type == "leaky") {
        IntLeakyOp o;
        o.shift = int(json_int(j, "shift", where, 0, 62));
        o.multiplier = json_int(j, "multiplier", where, 0, INT32_MAX);
        model.ops.push_back(o);
      } else {
        throw Error(where + ": unknown op type '" + type + "'");
      }
      cur = validate_int_op(i, model.ops.back(), cur);
      ++i;
    }
    const int n_ops = int(model.ops.size());
    if (graph.contains("substructures")) {
      for (const auto& s : graph["substructures"]) {
        const std::string where = path + ": substructure";
        SubstructureSpan span;
        const std::string kind = format::json_string(s, "kind", where);
        const std::string conv = format::json_string(s, "conversion", where);
        // The names save_int_model writes, and nothing else: an unknown one is
        // damage or a newer format, never a silent default.
        if (kind != kind_name(SubstructureKind::Quantized) && kind != kind_name(SubstructureKind::NonQuantized))
          throw Error(where + ": unknown kind '" + kind + "' (expected quantized or nonquantized)");
        span.kind = kind == kind_name(SubstructureKind::Quantized) ? SubstructureKind::Quantized
                                                                   : SubstructureKind::NonQuantized;
        bool known = false;
        for (ConversionKind c : {ConversionKind::Integrated, ConversionKind::Separated, ConversionKind::None})
          if (conv == conv_name(c)) span.conversion = c, known = true;
        if (!known)
          throw Error(where + ": unknown conversion '" + conv + "' (expected integrated, separated or none)");
        span.layer_begin = int(json_int(s, "layer_begin", where, 0, 1 << 20));
        span.layer_end = int(json_int(s, "layer_end", where, span.layer_begin, 1 << 20));
        span.op_begin = int(json_int(s, "op_begin", where, 0, n_ops));
        span.op_end = int(json_int(s, "op_end", where, span.op_begin, n_ops));
        span.m = int(json_int(s, "m", where, 0, 30));
        model.substructures.push_back(span);
      }
    }
    if (graph.contains("output")) {
      const auto& o = graph["output"];
      model.output.is_levels = o.value("is_levels", false);
      model.output.bits = int(json_int(o, "bits", path + ": output", 0, 8));
      model.output.level_step = o.value("level_step", 0.0);
      model.output.frac_bits = int(json_int(o, "frac_bits", path + ": output", 0, 30));
    }
    if (graph.contains("region")) {
      const auto& g = graph["region"];
      model.region.present = g.value("present", false);
      model.region.classes = int(json_int(g, "classes", path + ": region", 0, 100000));
      model.region.num = int(json_int(g, "num", path + ": region", 0, 1000));
      model.region.coords = int(json_int(g, "coords", path + ": region", 0, 4));
      model.region.anchors = g.value("anchors", std::vector<float>{});
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": malformed graph: " + e.what());
  }
  r.require_all_read();
  return model;
}

}  // namespace ifq

namespace ifq {

std::string model_file_kind(const std::string& path) {
  format::SafetensorsReader r(path);
  const std::string f = r.meta("ifq.format");
  if (f == "ifq-float-model") return "float";
  if (f == kIntFormat) return "int";
  throw Error(path + ": unknown model format '" + f + "'");
}

}  // namespace ifq
