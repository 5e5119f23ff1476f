#pragma once
// Building the `ifq inspect` report (table and JSON) for a model file.
#include <nlohmann/json.hpp>
#include <string>

#include "ifq/convert.hpp"

namespace ifq::cli {

struct InspectReport {
  std::string text;
  nlohmann::json json;
};

// `path` may hold a float model (converted with `options` for the integer
// accounting) or an integer model.
InspectReport inspect_model(const std::string& path, const ConvertOptions& options);

}  // namespace ifq::cli
