#include "format/graph_json.hpp"

namespace ifq::format {

nlohmann::json parse_graph(const std::string& path, const std::string& format_meta,
                           const std::string& version_meta, const std::string& graph_meta,
                           const char* expected_format, int supported_version) {
  if (format_meta != expected_format)
    throw Error(path + ": this is a '" + format_meta + "' file, expected '" + expected_format + "'");
  int version = 0;
  try {
    size_t used = 0;
    version = std::stoi(version_meta, &used);
    if (used != version_meta.size()) throw std::invalid_argument("trailing");
  } catch (const std::exception&) {
    throw Error(path + ": format version '" + version_meta + "' is not a number");
  }
  if (version > supported_version)
    throw Error(path + ": written by a newer ifq (format version " + std::to_string(version) +
                "; this build reads up to version " + std::to_string(supported_version) +
                "): upgrade ifq to read it");
  if (version < 1) throw Error(path + ": invalid format version " + std::to_string(version));
  try {
    auto graph = nlohmann::json::parse(graph_meta);
    if (!graph.is_object()) throw Error(path + ": graph metadata is not a JSON object");
    return graph;
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": graph metadata is not valid JSON: " + plain_message(e));
  }
}

}  // namespace ifq::format
