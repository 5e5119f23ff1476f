// The integer model file (docs/model-format.md): safetensors with
// __metadata__ {"ifq.format": "ifq-int-model", "ifq.version": "1",
// "ifq.graph": "<JSON>"} and tensors named "ops.<i>.<param>". Binary weights
// are bit-packed (bit 1 = +1, LSB first, the whole [out][in][k][k] array as
// one bit string); every other integer array is stored in the narrowest of
// I8/I16/I32/I64 that holds it.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "format/graph_json.hpp"
#include "format/safetensors.hpp"
#include "ifq/limits.hpp"
#include "ifq/model_io.hpp"
#include "ops/op_definitions.hpp"

namespace ifq {
namespace {

constexpr const char* kIntFormat = "ifq-int-model";

std::string key(size_t i, const char* param) { return "ops." + std::to_string(i) + "." + param; }

std::vector<int64_t> widen(const std::vector<int32_t>& v) { return {v.begin(), v.end()}; }

// Writes an op's fields (ops/op_fields.hpp): scalars into its graph JSON
// entry, arrays as tensors "ops.<i>.<key>". Read-only.
class FieldWriter final : public ops::OpFields {
 public:
  FieldWriter(format::SafetensorsWriter& w, nlohmann::json& j, size_t index) : w_(w), j_(j), i_(index) {}
  void attr(const char* k, int& v, int64_t, int64_t) override { j_[k] = v; }
  void attr(const char* k, int64_t& v, int64_t, int64_t) override { j_[k] = v; }
  void attr_list(const char* k, std::vector<int32_t>& v, size_t, int64_t, int64_t) override { j_[k] = v; }
  void tensor(const char* k, std::vector<int32_t>& v, size_t) override { w_.add_ints(key(i_, k), widen(v)); }
  void tensor(const char* k, std::vector<int64_t>& v, size_t, int64_t, int64_t) override {
    w_.add_ints(key(i_, k), v);
  }
  // Binary weights bit-packed: bit 1 = +1, LSB first, the whole array as one bit string.
  void weights(std::vector<int32_t>& v, int bits, size_t) override {
    if (bits != 1) return w_.add_ints(key(i_, "weight"), widen(v));
    std::vector<uint8_t> packed((v.size() + 7) / 8, 0);
    for (size_t k = 0; k < v.size(); ++k)
      if (v[k] > 0) packed[k / 8] |= uint8_t(1u << (k % 8));
    w_.add_u8(key(i_, "weight_bits"), packed);
  }
  void optional_flags(const char* k, std::vector<uint8_t>& v, size_t) override {
    j_[k] = !v.empty();
    if (!v.empty()) w_.add_u8(key(i_, k), v);
  }
  void added_attr(const char* k, int& v, int64_t, int64_t, int absent) override {
    if (v != absent) j_[k] = v, needs_version = 2;
  }
  void added_flags(const char* k, std::vector<uint8_t>& v, size_t) override {
    if (!v.empty()) j_[k] = true, w_.add_u8(key(i_, k), v), needs_version = 2;
  }
  int needs_version = 1;  // the oldest format version that holds what was written

 private:
  format::SafetensorsWriter& w_;
  nlohmann::json& j_;
  size_t i_;
};

// Reads an op's fields, rejecting a value beyond its limit before any array
// length is computed from it.
class FieldReader final : public ops::OpFields {
 public:
  FieldReader(const format::SafetensorsReader& r, const nlohmann::json& j, size_t index, std::string where)
      : r_(r), j_(j), i_(index), where_(std::move(where)) {}
  void attr(const char* k, int& v, int64_t lo, int64_t hi) override { v = int(format::json_int(j_, k, where_, lo, hi)); }
  void attr(const char* k, int64_t& v, int64_t lo, int64_t hi) override { v = format::json_int(j_, k, where_, lo, hi); }
  void attr_list(const char* k, std::vector<int32_t>& v, size_t count, int64_t lo, int64_t hi) override {
    if (!j_.contains(k) || !j_[k].is_array()) throw Error(where_ + ": missing '" + k + "'");
    if (j_[k].size() != count)
      throw Error(where_ + ": '" + k + "' has " + std::to_string(j_[k].size()) + " values, expected " +
                  std::to_string(count));
    v.clear();
    for (const auto& x : j_[k]) {
      if (!x.is_number_integer() || x.get<int64_t>() < lo || x.get<int64_t>() > hi)
        throw Error(where_ + ": '" + k + "' values must be integers " + std::to_string(lo) + ".." +
                    std::to_string(hi));
      v.push_back(x.get<int32_t>());
    }
  }
  void tensor(const char* k, std::vector<int32_t>& v, size_t count) override {
    v = narrow32(r_.ints(key(i_, k), count));
  }
  void tensor(const char* k, std::vector<int64_t>& v, size_t count, int64_t, int64_t) override {
    v = r_.ints(key(i_, k), count);  // limits: validate_int_op, right after
  }
  void weights(std::vector<int32_t>& v, int bits, size_t count) override {
    if (count > (size_t(1) << 31)) throw Error(where_ + ": too many weights");
    if (bits != 1) return void(v = narrow32(r_.ints(key(i_, "weight"), count)));
    const auto packed = r_.u8(key(i_, "weight_bits"), (count + 7) / 8);
    if (count % 8 != 0 && (packed.back() >> (count % 8)) != 0)
      throw Error(where_ + ": padding bits of the packed weights are not zero (corrupt file?)");
    v.resize(count);
    for (size_t k = 0; k < count; ++k) v[k] = (packed[k / 8] >> (k % 8)) & 1 ? 1 : -1;
  }
  void optional_flags(const char* k, std::vector<uint8_t>& v, size_t count) override {
    if (j_.value(k, false)) v = r_.u8(key(i_, k), count);
  }
  void added_attr(const char* k, int& v, int64_t lo, int64_t hi, int absent) override {
    v = j_.contains(k) ? int(format::json_int(j_, k, where_, lo, hi)) : absent;
  }
  void added_flags(const char* k, std::vector<uint8_t>& v, size_t count) override { optional_flags(k, v, count); }

 private:
  std::vector<int32_t> narrow32(const std::vector<int64_t>& v) const {
    std::vector<int32_t> out;
    out.reserve(v.size());
    for (int64_t x : v) {
      if (x < INT32_MIN || x > INT32_MAX) throw Error(where_ + ": value out of int32 range");
      out.push_back(int32_t(x));
    }
    return out;
  }
  const format::SafetensorsReader& r_;
  const nlohmann::json& j_;
  size_t i_;
  std::string where_;
};

const char* kind_name(SubstructureKind k) { return k == SubstructureKind::Quantized ? "quantized" : "nonquantized"; }
const char* conv_name(ConversionKind k) {
  return k == ConversionKind::Integrated ? "integrated" : k == ConversionKind::Separated ? "separated" : "none";
}

}  // namespace

void save_int_model(const IntModel& model, const std::string& path) {
  const auto shapes = infer_int_shapes(model);  // never write a file we could not load back
  check_int_output_info(model);
  format::SafetensorsWriter w;
  nlohmann::json op_entries = nlohmann::json::array();
  int version = 1;
  for (size_t i = 0; i < model.ops.size(); ++i) {
    nlohmann::json j;
    j["type"] = int_op_name(model.ops[i]);
    FieldWriter fields(w, j, i);
    ops::visit_fields(const_cast<IntOp&>(model.ops[i]), fields, i > 0 ? shapes[i - 1] : Shape3{});
    op_entries.push_back(j);
    version = std::max(version, fields.needs_version);
  }
  nlohmann::json subs = nlohmann::json::array();
  for (const auto& s : model.substructures)
    subs.push_back({{"kind", kind_name(s.kind)}, {"conversion", conv_name(s.conversion)},
                    {"layer_begin", s.layer_begin}, {"layer_end", s.layer_end},
                    {"op_begin", s.op_begin}, {"op_end", s.op_end}, {"m", s.m}});
  nlohmann::json graph = {
      {"name", model.name},
      {"ops", op_entries},
      {"substructures", subs},
      {"output", {{"is_levels", model.output.is_levels}, {"bits", model.output.bits},
                  {"level_step", model.output.level_step}, {"frac_bits", model.output.frac_bits}}},
      {"region", {{"present", model.region.present}, {"classes", model.region.classes},
                  {"num", model.region.num}, {"coords", model.region.coords},
                  {"anchors", model.region.anchors}}}};
  if (model.region.scale_x_y != 1) {  // version 3; absent = 1, so other files stay byte for byte as before
    graph["region"]["scale_x_y"] = model.region.scale_x_y;
    version = std::max(version, 3);
  }
  w.set_meta("ifq.format", kIntFormat);
  w.set_meta("ifq.version", std::to_string(version));
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
      IntOp op;
      if (!ops::make_op(type, op)) throw Error(where + ": unknown op type '" + type + "'");
      FieldReader fields(r, j, i, where);
      ops::visit_fields(op, fields, cur);
      model.ops.push_back(std::move(op));
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
    if (!graph.contains("output") || !graph["output"].is_object())
      throw Error(path + ": graph has no 'output' entry (what the last tensor means)");
    {
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
      if (g.contains("scale_x_y")) {
        model.region.scale_x_y = float(format::json_number(g, "scale_x_y", path + ": region"));
        if (const std::string why = scale_x_y_problem(model.region.scale_x_y); !why.empty())
          throw Error(path + ": region: " + why);
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": malformed graph: " + plain_message(e));
  }
  r.require_all_read();
  try {
    check_int_output_info(model);
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
  }
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
