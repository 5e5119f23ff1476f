// ifq model-average --out SOUP.ifqf A.ifqf B.ifqf ...: the element-wise mean
// of several trained float models of the same network (a "uniform model
// soup", Wortsman et al. 2022): runs fine-tuned from one start with other
// seeds or teachers end in the same basin, and their mean can be better than
// each. Every tensor is averaged, latent binary weights, alpha and the BN
// running statistics included, so the mean of copies of one model is that
// model bit for bit. The averaged BN statistics are not those of the averaged
// weights; `ifq train --init SOUP --steps 0 --precise-bn N` re-estimates them.
#include <cstdio>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "command_registry.hpp"
#include "ifq/error.hpp"
#include "ifq/float_model.hpp"
#include "ifq/model_io.hpp"
#include "model_tensors.hpp"

namespace {

// Throws naming the first layer where `other` is not the network `first` is.
void require_same_network(const ifq::FloatModel& first, const std::string& first_path, const ifq::FloatModel& other,
                          const std::string& other_path) {
  const auto a = nlohmann::json::parse(ifq::float_model_graph(first));
  const auto b = nlohmann::json::parse(ifq::float_model_graph(other));
  std::string why;
  if (a.size() != b.size()) {
    why = std::to_string(b.size()) + " layers against " + std::to_string(a.size());
  } else {
    for (size_t i = 0; i < a.size() && why.empty(); ++i)
      if (a[i] != b[i]) why = "layer " + std::to_string(i) + " (" + a[i].value("type", "?") + ") differs";
    if (why.empty() && std::get<ifq::InputLayer>(first.layers[0]).std != std::get<ifq::InputLayer>(other.layers[0]).std)
      why = "the input normalisation differs";
  }
  if (!why.empty()) throw ifq::Error(other_path + " is not the same network as " + first_path + ": " + why);
}

struct AverageSummary {
  int64_t values = 0, binary_weights = 0, binary_sign_disagreements = 0;
};

// models[0] becomes the mean of all; every model must be the same network.
AverageSummary average_into_first(std::vector<ifq::FloatModel>& models) {
  AverageSummary s;
  for (size_t i = 0; i < models[0].layers.size(); ++i) {
    std::vector<std::vector<ifq::cli::LayerTensor>> tensors;
    for (auto& m : models) tensors.push_back(ifq::cli::layer_tensors(m.layers[i]));
    for (size_t t = 0; t < tensors[0].size(); ++t) {
      std::vector<float>& mean = *tensors[0][t].values;
      for (size_t e = 0; e < mean.size(); ++e) {
        // In double: the sum of n float32 values is exact for any n used
        // here, so copies of one model average back to it bit for bit.
        double sum = 0;
        int positive = 0;
        for (const auto& of_model : tensors) {
          const float v = (*of_model[t].values)[e];
          sum += double(v);
          positive += v >= 0;  // sign(0) = +1, as the binarisation
        }
        if (tensors[0][t].binary_weights) {
          ++s.binary_weights;
          s.binary_sign_disagreements += positive != 0 && positive != int(models.size());
        }
        mean[e] = float(sum / double(models.size()));
      }
      s.values += int64_t(mean.size());
    }
  }
  return s;
}

bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  return std::filesystem::equivalent(a, b, ec);
}

IFQ_REGISTER_COMMAND(
    "model-average", "the element-wise mean of several trained float models of the same network (a model soup)",
    [](CLI::App& sub) -> std::function<int()> {
      auto inputs = std::make_shared<std::vector<std::string>>();
      auto out = std::make_shared<std::string>();
      sub.add_option("MODELS", *inputs, "two or more float model files (.ifqf) of the same network")->required();
      sub.add_option("--out", *out, "float model file to write (the mean)")->required();
      return [=]() {
        if (inputs->size() < 2)
          throw ifq::Error("model-average needs at least two models, got " + std::to_string(inputs->size()));
        for (const auto& in : *inputs)
          if (same_file(in, *out)) throw ifq::Error("--out " + *out + " is also an input; write the mean elsewhere");
        std::vector<ifq::FloatModel> models;
        for (const auto& in : *inputs) {
          models.push_back(ifq::load_float_model(in));
          require_same_network(models[0], inputs->front(), models.back(), in);
        }
        const AverageSummary s = average_into_first(models);
        ifq::save_float_model(models[0], *out);
        std::printf("wrote %s: the mean of %zu models, %lld values; binary weights whose sign the models do not all "
                    "share: %lld of %lld\n",
                    out->c_str(), models.size(), (long long)s.values, (long long)s.binary_sign_disagreements,
                    (long long)s.binary_weights);
        return 0;
      };
    });

}  // namespace
