// ifq model-diff A.ifqf B.ifqf: how far apart two float models of the same
// network are — the largest absolute difference of every tensor and, for
// binary layers, how many latent weights changed sign (what the integer
// model would see). Used to check that N-process data-parallel training
// reaches the one-process weights (docs/distributed.md).
#include <algorithm>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "command_registry.hpp"
#include "ifq/error.hpp"
#include "ifq/float_model.hpp"
#include "ifq/model_io.hpp"
#include "model_tensors.hpp"

namespace {

struct TensorDiff {
  std::string layer, tensor;
  int64_t values = 0, differing = 0, sign_flips = -1;  // sign_flips: binary weights only
  double max_abs = 0;
};

TensorDiff compare(const std::string& layer, const std::string& tensor, const std::vector<float>& a,
                   const std::vector<float>& b, bool binary) {
  if (a.size() != b.size())
    throw ifq::Error("layer " + layer + " " + tensor + ": " + std::to_string(a.size()) + " values against " +
                     std::to_string(b.size()) + " (not the same network)");
  TensorDiff d{layer, tensor, int64_t(a.size()), 0, binary ? 0 : -1, 0};
  for (size_t i = 0; i < a.size(); ++i) {
    const double diff = std::fabs(double(a[i]) - double(b[i]));
    d.max_abs = std::max(d.max_abs, std::isnan(diff) ? INFINITY : diff);
    d.differing += a[i] != b[i];
    // sign(0) = +1, as the binarisation.
    if (binary) d.sign_flips += (a[i] >= 0) != (b[i] >= 0);
  }
  return d;
}

std::vector<TensorDiff> diff_models(ifq::FloatModel a, ifq::FloatModel b) {
  if (a.layers.size() != b.layers.size())
    throw ifq::Error("the models have " + std::to_string(a.layers.size()) + " and " + std::to_string(b.layers.size()) +
                     " layers (not the same network)");
  std::vector<TensorDiff> out;
  for (size_t i = 0; i < a.layers.size(); ++i) {
    if (a.layers[i].index() != b.layers[i].index())
      throw ifq::Error("layer " + std::to_string(i) + " is " + ifq::layer_type_name(a.layers[i]) + " in one model and " +
                       ifq::layer_type_name(b.layers[i]) + " in the other");
    const std::string name = std::to_string(i) + " " + ifq::layer_type_name(a.layers[i]);
    const auto ta = ifq::cli::layer_tensors(a.layers[i]), tb = ifq::cli::layer_tensors(b.layers[i]);
    if (ta.size() != tb.size())
      throw ifq::Error("layer " + name + " holds " + std::to_string(ta.size()) + " and " + std::to_string(tb.size()) +
                       " tensors (not the same network)");
    for (size_t t = 0; t < ta.size(); ++t)
      out.push_back(compare(name, ta[t].name, *ta[t].values, *tb[t].values, ta[t].binary_weights));
    if (auto* q = std::get_if<ifq::HwgqLayer>(&a.layers[i]))
      out.push_back(compare(name, "step", {q->step}, {std::get<ifq::HwgqLayer>(b.layers[i]).step}, false));
  }
  return out;
}

IFQ_REGISTER_COMMAND(
    "model-diff", "largest weight differences between two float models of the same network",
    [](CLI::App& sub) -> std::function<int()> {
      auto a = std::make_shared<std::string>(), b = std::make_shared<std::string>();
      auto json = std::make_shared<bool>(false);
      sub.add_option("A", *a, "float model file (.ifqf)")->required();
      sub.add_option("B", *b, "float model file of the same network")->required();
      sub.add_flag("--json", *json, "print JSON instead of a table");
      return [=]() {
        const auto diffs = diff_models(ifq::load_float_model(*a), ifq::load_float_model(*b));
        double max_abs = 0;
        int64_t values = 0, differing = 0, flips = 0, binary = 0;
        for (const auto& d : diffs) {
          max_abs = std::max(max_abs, d.max_abs);
          values += d.values;
          differing += d.differing;
          if (d.sign_flips >= 0) flips += d.sign_flips, binary += d.values;
        }
        if (*json) {
          nlohmann::json j{{"max_abs_difference", max_abs}, {"values", values}, {"values_differing", differing},
                           {"binary_weights", binary}, {"binary_sign_flips", flips}, {"tensors", nlohmann::json::array()}};
          for (const auto& d : diffs) {
            nlohmann::json t{{"layer", d.layer}, {"tensor", d.tensor}, {"values", d.values},
                             {"values_differing", d.differing}, {"max_abs_difference", d.max_abs}};
            if (d.sign_flips >= 0) t["binary_sign_flips"] = d.sign_flips;
            j["tensors"].push_back(t);
          }
          std::printf("%s\n", j.dump(1).c_str());
          return 0;
        }
        std::printf("%-18s %-7s %10s %10s %14s %s\n", "layer", "tensor", "values", "differ", "max |a-b|", "sign flips");
        for (const auto& d : diffs)
          std::printf("%-18s %-7s %10lld %10lld %14.3g %s\n", d.layer.c_str(), d.tensor.c_str(), (long long)d.values,
                      (long long)d.differing, d.max_abs,
                      d.sign_flips >= 0 ? std::to_string(d.sign_flips).c_str() : "");
        std::printf("max |a-b| %.3g over %lld values (%lld differ); binary weights: %lld of %lld changed sign\n",
                    max_abs, (long long)values, (long long)differing, (long long)flips, (long long)binary);
        return 0;
      };
    });

}  // namespace
