#include "inspect_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

#include "ifq/memory.hpp"
#include "ifq/model_io.hpp"
#include "ifq/substructure.hpp"

namespace ifq::cli {
namespace {

std::string format(const char* fmt, auto... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

const char* kind_text(SubstructureKind k) { return k == SubstructureKind::Quantized ? "quantized" : "non-quantized"; }
const char* conversion_text(ConversionKind k) {
  return k == ConversionKind::Integrated ? "integrated" : k == ConversionKind::Separated ? "separated" : "none";
}

std::string op_list(const IntModel& m, int begin, int end) {
  std::string s;
  for (int i = begin; i < end; ++i) s += (s.empty() ? "" : ",") + std::string(int_op_name(m.ops[size_t(i)]));
  return s;
}

// Latent weights of the binary layers of a float model: training state that
// the integer model reduces to signs. Many near zero means their signs are
// noise; with Adam and L2 decay they collapse there (docs/training.md,
// "Weight decay on binary weights").
void report_binary_latents(const FloatModel& fm, InspectReport& rep) {
  constexpr double kNearZero = 1e-6;
  nlohmann::json rows = nlohmann::json::array();
  std::string text;
  for (size_t i = 0; i < fm.layers.size(); ++i) {
    const std::vector<float>* w = binary_latent_weights(fm.layers[i]);
    if (!w || w->empty()) continue;
    std::vector<float> magnitude(w->size());
    std::transform(w->begin(), w->end(), magnitude.begin(), [](float v) { return std::fabs(v); });
    const auto near_zero = std::count_if(magnitude.begin(), magnitude.end(), [&](float v) { return v < kNearZero; });
    std::nth_element(magnitude.begin(), magnitude.begin() + long(magnitude.size() / 2), magnitude.end());
    const double median = magnitude[magnitude.size() / 2], share = double(near_zero) / double(w->size());
    text += format("  %-5zu %-5s %10zu %12.3g %14.3f\n", i, layer_type_name(fm.layers[i]), w->size(), median, share);
    rows.push_back({{"layer", i}, {"weights", w->size()}, {"median_abs", median}, {"share_below_1e-6", share}});
  }
  rep.json["binary_latent_weights"] = rows;
  if (rows.empty()) return;
  rep.text += "\nBinary latent weights (training state; the integer model keeps their signs)\n" +
              format("  %-5s %-5s %10s %12s %14s\n", "layer", "type", "weights", "median |w|", "|w| < 1e-6") + text;
}

}  // namespace

InspectReport inspect_model(const std::string& path, const ConvertOptions& options) {
  InspectReport rep;
  std::optional<FloatModel> fm;
  IntModel im;
  if (model_file_kind(path) == "float") {
    fm = load_float_model(path);
    im = convert(*fm, options).model;
  } else {
    im = load_int_model(path);
  }
  const MemoryReport mem = account_memory(im);
  auto& j = rep.json;
  j["model"] = im.name;
  j["file_kind"] = fm ? "float" : "int";
  std::string& t = rep.text;
  t += format("model '%s' (%s model file)\n\n", im.name.c_str(), fm ? "float quantization network" : "integer");

  std::vector<Substructure> division;
  if (fm) division = divide_substructures(*fm);
  t += "Substructures (paper §3.1)\n";
  t += format("  %-3s %-14s %-11s %-3s %-44s %s\n", "#", "kind", "conversion", "m", fm ? "float layers" : "", "integer ops");
  nlohmann::json subs = nlohmann::json::array();
  for (size_t i = 0; i < im.substructures.size(); ++i) {
    const auto& s = im.substructures[i];
    const std::string layers = fm ? division[i].describe(*fm) : "";
    const std::string ops = op_list(im, s.op_begin, s.op_end);
    t += format("  %-3zu %-14s %-11s %-3d %-44s %s\n", i + 1, kind_text(s.kind), conversion_text(s.conversion), s.m,
                layers.c_str(), ops.c_str());
    subs.push_back({{"index", i + 1}, {"kind", kind_text(s.kind)}, {"conversion", conversion_text(s.conversion)},
                    {"m", s.m}, {"layers", layers}, {"ops", ops}, {"layer_begin", s.layer_begin},
                    {"layer_end", s.layer_end}, {"op_begin", s.op_begin}, {"op_end", s.op_end}});
  }
  j["substructures"] = subs;

  t += "\nPer-op bits and memory\n";
  t += format("  %-3s %-10s %-14s %10s %6s %10s %6s %8s %6s %12s %6s %12s\n", "op", "type", "output", "weights", "w-bits",
              "thresholds", "t-bits", "other", "o-bits", "model bits", "a-bits", "fmap bits");
  nlohmann::json ops = nlohmann::json::array();
  for (const auto& o : mem.ops) {
    t += format("  %-3d %-10s %-14s %10lld %6lld %10lld %6lld %8lld %6lld %12lld %6d %12lld\n", o.op_index, o.name.c_str(),
                o.output_shape.str().c_str(), (long long)o.weights, (long long)o.weight_bits, (long long)o.thresholds,
                (long long)o.threshold_bits, (long long)o.other_params, (long long)o.other_bits,
                (long long)o.model_bits, o.output_bits, (long long)o.feature_map_bits);
    ops.push_back({{"op", o.op_index}, {"type", o.name}, {"output_shape", {o.output_shape.c, o.output_shape.h, o.output_shape.w}},
                   {"weights", o.weights}, {"weight_bits", o.weight_bits}, {"thresholds", o.thresholds},
                   {"threshold_bits", o.threshold_bits}, {"other_params", o.other_params}, {"other_bits", o.other_bits},
                   {"model_bits", o.model_bits}, {"output_bits", o.output_bits}, {"feature_map_bits", o.feature_map_bits}});
  }
  j["ops"] = ops;

  // DupNet weight sharing: stored (unique) filters against the filters the
  // layer computes with; the sizes above count stored weights only.
  nlohmann::json sharing = nlohmann::json::array();
  std::string sharing_text;
  for (size_t i = 0; i < im.ops.size(); ++i)
    if (auto* c = std::get_if<IntConvOp>(&im.ops[i]); c && c->shares_weights()) {
      const int negated = int(std::count(c->negate.begin(), c->negate.end(), uint8_t(1)));
      sharing_text += format("  %-3zu %8d %9d %9d %12d %14d %8d\n", i, c->stored_filters(), c->out_channels, c->duplicate,
                             c->in_channels, c->input_repeat, negated);
      sharing.push_back({{"op", i}, {"stored_filters", c->stored_filters()}, {"effective_filters", c->out_channels},
                         {"duplicate", c->duplicate}, {"input_channels", c->in_channels},
                         {"input_repeat", c->input_repeat}, {"negated_copies", negated}});
    }
  j["weight_sharing"] = sharing;
  if (!sharing.empty())
    t += "\nWeight sharing (DupNet): stored filters, each used by `duplicate` outputs; inputs read `input_repeat` times\n" +
         format("  %-3s %8s %9s %9s %12s %14s %8s\n", "op", "stored", "effective", "duplicate", "in channels",
                "input_repeat", "negated") +
         sharing_text;
  if (fm) report_binary_latents(*fm, rep);
  j["model_size_bits"] = mem.model_size_bits;
  j["model_size_bytes"] = mem.model_size_bytes;
  j["weight_bytes"] = mem.weight_size_bytes;
  j["feature_map_peak_bits"] = mem.feature_map_peak_bits;
  j["arena_bytes"] = mem.arena_bytes;
  t += format("\nmodel size: %lld bits = %lld bytes (%.3f Mbit)\n", (long long)mem.model_size_bits,
              (long long)mem.model_size_bytes, double(mem.model_size_bits) / 1e6);
  t += format("weights alone (the paper's model size): %lld bytes\n", (long long)mem.weight_size_bytes);
  t += format("feature-map peak (paper §4.1.3: largest single layer): %lld bits (%.3f Mbit)\n",
              (long long)mem.feature_map_peak_bits, double(mem.feature_map_peak_bits) / 1e6);
  t += format("reference runtime arena: %lld bytes\n", (long long)mem.arena_bytes);

  nlohmann::json compact = nlohmann::json::array();
  for (const auto& c : compact_threshold_report(im)) {
    t += format("compact threshold form (Eq. 8) at op %d: exact for %d of %d channels%s\n", c.op_index, c.channels_exact,
                c.channels, c.channels_exact == c.channels ? "" : " (store every threshold)");
    compact.push_back({{"op", c.op_index}, {"channels", c.channels}, {"channels_exact", c.channels_exact}});
  }
  j["compact_thresholds"] = compact;
  if (im.output.is_levels)
    t += format("output: %d-bit levels\n", im.output.bits);
  else
    t += format("output: fixed point, %d fractional bits (value / 2^%d)\n", im.output.frac_bits, im.output.frac_bits);
  j["output"] = {{"is_levels", im.output.is_levels}, {"bits", im.output.bits}, {"frac_bits", im.output.frac_bits}};
  return rep;
}

}  // namespace ifq::cli
