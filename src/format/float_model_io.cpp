// The float model file (docs/model-format.md): safetensors with
// __metadata__ {"ifq.format": "ifq-float-model", "ifq.version": "1",
// "ifq.graph": "<JSON>"} and tensors named "layers.<i>.<param>".
#include <nlohmann/json.hpp>

#include "core/overloaded.hpp"
#include "format/graph_json.hpp"
#include "format/safetensors.hpp"
#include "ifq/limits.hpp"
#include "ifq/model_io.hpp"

namespace ifq {
namespace {

constexpr const char* kFloatFormat = "ifq-float-model";

std::string key(size_t i, const char* param) { return "layers." + std::to_string(i) + "." + param; }

const char* kind_name(WeightKind k) {
  return k == WeightKind::Binary ? "binary" : k == WeightKind::Fixed ? "fixed" : "float";
}

// "weights": "float" | "binary" | "fixed"; fixed ones add "weight_bits" and
// "zero_point" (written only then, so older files are unchanged).
void write_kind(nlohmann::json& j, WeightKind kind, const FixedWeights& fixed) {
  j["weights"] = kind_name(kind);
  if (kind != WeightKind::Fixed) return;
  j["weight_bits"] = fixed.bits;
  j["zero_point"] = fixed.zero_point;
}

WeightKind read_kind(const nlohmann::json& j, const std::string& where, FixedWeights& fixed) {
  const std::string s = format::json_string(j, "weights", where);
  if (s == "binary") return WeightKind::Binary;
  if (s == "float") return WeightKind::Float;
  if (s == "fixed") {
    fixed.bits = int(format::json_int(j, "weight_bits", where, 2, limits::kMaxFixedWeightBits));
    fixed.zero_point = int(format::json_int(j, "zero_point", where, fixed_code_min(fixed.bits),
                                            fixed_code_max(fixed.bits)));
    return WeightKind::Fixed;
  }
  throw Error(where + ": unknown weight kind '" + s + "'");
}

// One layer's entry of the graph JSON; its tensors go to `w` when given
// (required ones always, optional ones when present).
nlohmann::json describe_layer(const Layer& layer, size_t i, format::SafetensorsWriter* w) {
  auto required = [&](const char* param, const std::vector<float>& v) {
    if (w) w->add_f32(key(i, param), v);
  };
  auto optional = [&](const char* param, const std::vector<float>& v) {
    if (w && !v.empty()) w->add_f32(key(i, param), v);
  };
  nlohmann::json j;
  j["type"] = layer_type_name(layer);
  std::visit(Overloaded{
                 [&](const InputLayer& l) {
                   j["channels"] = l.shape.c;
                   j["height"] = l.shape.h;
                   j["width"] = l.shape.w;
                   j["mean"] = l.mean;
                   required("std", l.std);
                 },
                 [&](const ConvLayer& l) {
                   j["filters"] = l.out_channels;
                   j["size"] = l.kernel;
                   j["stride"] = l.stride;
                   j["pad"] = l.pad;
                   // Written only when used, so files without DupNet layers are unchanged.
                   if (l.duplicate != 1) j["duplicate"] = l.duplicate;
                   if (l.input_repeat != 1) j["input_repeat"] = l.input_repeat;
                   write_kind(j, l.weight_kind, l.fixed);
                   j["bias"] = !l.bias.empty();
                   required("weight", l.weight);
                   optional("alpha", l.alpha);
                   optional("bias", l.bias);
                 },
                 [&](const FcLayer& l) {
                   j["outputs"] = l.out_features;
                   write_kind(j, l.weight_kind, l.fixed);
                   j["bias"] = !l.bias.empty();
                   required("weight", l.weight);
                   optional("alpha", l.alpha);
                   optional("bias", l.bias);
                 },
                 [&](const MaxPoolLayer& l) {
                   j["size"] = l.size;
                   j["stride"] = l.stride;
                   j["pad"] = l.pad;
                 },
                 [&](const BatchNormLayer& l) {
                   j["eps"] = l.eps;
                   j["affine_gamma"] = !l.gamma.empty();
                   j["affine_beta"] = !l.beta.empty();
                   required("mean", l.mean);
                   required("var", l.var);
                   optional("gamma", l.gamma);
                   optional("beta", l.beta);
                 },
                 [&](const HwgqLayer& l) {
                   j["bits"] = l.bits;
                   j["step"] = l.step;
                 },
                 [&](const ReluLayer&) {},
                 [&](const LeakyLayer& l) { j["slope"] = l.slope; },
                 [&](const FlattenLayer&) {},
                 [&](const RegionLayer& l) {
                   j["classes"] = l.classes;
                   j["num"] = l.num;
                   j["coords"] = l.coords;
                   j["anchors"] = l.anchors;
                   if (l.scale_x_y != 1) j["scale_x_y"] = l.scale_x_y;  // version 4; absent = 1
                 },
             },
             layer);
  return j;
}

}  // namespace

std::string float_model_graph(const FloatModel& model) {
  nlohmann::json layers = nlohmann::json::array();
  for (size_t i = 0; i < model.layers.size(); ++i) layers.push_back(describe_layer(model.layers[i], i, nullptr));
  return layers.dump();
}

void save_float_model(const FloatModel& model, const std::string& path) {
  infer_shapes(model);  // never write a file we could not load back
  format::SafetensorsWriter w;
  nlohmann::json layers = nlohmann::json::array();
  for (size_t i = 0; i < model.layers.size(); ++i) layers.push_back(describe_layer(model.layers[i], i, &w));
  nlohmann::json graph = {{"name", model.name}, {"layers", layers}};
  w.set_meta("ifq.format", kFloatFormat);
  // The oldest version that can read the file: an older reader then rejects
  // it as newer instead of misreading shared filters, fixed weights or a
  // region's centre scale.
  bool shares_weights = false, fixed_weights = false, scaled_centres = false;
  for (const Layer& l : model.layers) {
    if (auto* r = std::get_if<RegionLayer>(&l)) scaled_centres |= r->scale_x_y != 1;
    if (auto* c = std::get_if<ConvLayer>(&l)) {
      shares_weights |= c->duplicate != 1 || c->input_repeat != 1;
      fixed_weights |= c->weight_kind == WeightKind::Fixed;
    }
    if (auto* f = std::get_if<FcLayer>(&l)) fixed_weights |= f->weight_kind == WeightKind::Fixed;
  }
  w.set_meta("ifq.version", scaled_centres ? "4" : fixed_weights ? "3" : shares_weights ? "2" : "1");
  w.set_meta("ifq.graph", graph.dump());
  w.write(path);
}

FloatModel load_float_model(const std::string& path) {
  format::SafetensorsReader r(path);
  const auto graph = format::parse_graph(path, r.meta("ifq.format"), r.meta("ifq.version"),
                                         r.meta("ifq.graph"), kFloatFormat, kFloatModelVersion);
  FloatModel model;
  try {
  if (graph.contains("name") && graph["name"].is_string()) model.name = graph["name"].get<std::string>();
  if (!graph.contains("layers") || !graph["layers"].is_array() || graph["layers"].empty())
    throw Error(path + ": graph has no layers");
  if (graph["layers"].size() > size_t(limits::kMaxLayers)) throw Error(path + ": graph has too many layers");
  Shape3 cur{};
  size_t i = 0;
  auto check_count = [&](size_t n) {
    if (n > (size_t(1) << 31)) throw Error(path + ": layer " + std::to_string(i) + " is too large");
    return n;
  };
  for (const auto& j : graph["layers"]) {
    const std::string where = path + ": layer " + std::to_string(i);
    const std::string type = format::json_string(j, "type", where);
    using format::json_int;
    if (type == "input") {
      InputLayer l;
      l.shape = {int(json_int(j, "channels", where, 1, limits::kMaxInputChannels)),
                 int(json_int(j, "height", where, 1, limits::kMaxInputSide)),
                 int(json_int(j, "width", where, 1, limits::kMaxInputSide))};
      if (!j.contains("mean") || !j["mean"].is_array()) throw Error(where + ": missing 'mean'");
      for (const auto& m : j["mean"]) {
        if (!m.is_number_integer()) throw Error(where + ": 'mean' must hold integers");
        l.mean.push_back(m.get<int>());
      }
      l.std = r.f32(key(i, "std"), size_t(l.shape.c));
      model.layers.push_back(l);
    } else if (type == "conv") {
      ConvLayer l;
      l.out_channels = int(json_int(j, "filters", where, 1, limits::kMaxChannels));
      l.kernel = int(json_int(j, "size", where, 1, limits::kMaxWindow));
      l.stride = int(json_int(j, "stride", where, 1, limits::kMaxStride));
      l.pad = int(json_int(j, "pad", where, 0, limits::kMaxPad));
      if (j.contains("duplicate")) l.duplicate = int(json_int(j, "duplicate", where, 1, l.out_channels));
      if (l.out_channels % l.duplicate != 0)
        throw Error(where + ": duplicate " + std::to_string(l.duplicate) + " does not divide the filters");
      if (j.contains("input_repeat"))
        l.input_repeat = int(json_int(j, "input_repeat", where, 1, limits::kMaxInputRepeat));
      l.weight_kind = read_kind(j, where, l.fixed);
      l.weight = r.f32(key(i, "weight"), check_count(size_t(l.unique_filters()) * size_t(l.filter_size(cur.c))));
      if (l.weight_kind != WeightKind::Float) l.alpha = r.f32(key(i, "alpha"), size_t(l.out_channels));
      if (j.value("bias", false)) l.bias = r.f32(key(i, "bias"), size_t(l.out_channels));
      model.layers.push_back(l);
    } else if (type == "fc") {
      FcLayer l;
      l.out_features = int(json_int(j, "outputs", where, 1, limits::kMaxFeatures));
      l.weight_kind = read_kind(j, where, l.fixed);
      l.weight = r.f32(key(i, "weight"), check_count(size_t(l.out_features) * size_t(cur.elements())));
      if (l.weight_kind != WeightKind::Float) l.alpha = r.f32(key(i, "alpha"), size_t(l.out_features));
      if (j.value("bias", false)) l.bias = r.f32(key(i, "bias"), size_t(l.out_features));
      model.layers.push_back(l);
    } else if (type == "maxpool") {
      MaxPoolLayer l;
      l.size = int(json_int(j, "size", where, 1, limits::kMaxWindow));
      l.stride = int(json_int(j, "stride", where, 1, limits::kMaxStride));
      l.pad = int(json_int(j, "pad", where, 0, limits::kMaxPad));
      model.layers.push_back(l);
    } else if (type == "batchnorm") {
      BatchNormLayer l;
      l.eps = float(format::json_number(j, "eps", where));
      l.mean = r.f32(key(i, "mean"), size_t(cur.c));
      l.var = r.f32(key(i, "var"), size_t(cur.c));
      if (j.value("affine_gamma", false)) l.gamma = r.f32(key(i, "gamma"), size_t(cur.c));
      if (j.value("affine_beta", false)) l.beta = r.f32(key(i, "beta"), size_t(cur.c));
      model.layers.push_back(l);
    } else if (type == "hwgq") {
      HwgqLayer l;
      l.bits = int(json_int(j, "bits", where, 1, 8));
      l.step = float(format::json_number(j, "step", where));
      model.layers.push_back(l);
    } else if (type == "relu") {
      model.layers.push_back(ReluLayer{});
    } else if (type == "leaky") {
      model.layers.push_back(LeakyLayer{float(format::json_number(j, "slope", where))});
    } else if (type == "flatten") {
      model.layers.push_back(FlattenLayer{});
    } else if (type == "region") {
      RegionLayer l;
      l.classes = int(json_int(j, "classes", where, 1, 100000));
      l.num = int(json_int(j, "num", where, 1, 1000));
      l.coords = int(json_int(j, "coords", where, 4, 4));
      if (!j.contains("anchors") || !j["anchors"].is_array()) throw Error(where + ": missing 'anchors'");
      for (const auto& a : j["anchors"]) {
        if (!a.is_number()) throw Error(where + ": 'anchors' must hold numbers");
        l.anchors.push_back(a.get<float>());
      }
      if (j.contains("scale_x_y")) l.scale_x_y = float(format::json_number(j, "scale_x_y", where));
      model.layers.push_back(l);
    } else {
      throw Error(where + ": unknown layer type '" + type + "'");
    }
    // Shapes size the next layer's tensors; validation names the layer.
    cur = validate_layer(i, model.layers.back(), cur);
    ++i;
  }
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": malformed graph: " + plain_message(e));
  }
  r.require_all_read();
  return model;
}

}  // namespace ifq
