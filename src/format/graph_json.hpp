#pragma once
// Shared helpers for the graph JSON kept in a model file's metadata.
#include <nlohmann/json.hpp>
#include <string>

#include "ifq/error.hpp"

namespace ifq::format {

// Reads an integer field, naming the file, entry and key on any problem.
inline int64_t json_int(const nlohmann::json& j, const char* key, const std::string& where,
                        int64_t lo, int64_t hi) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number_integer())
    throw Error(where + ": missing or non-integer '" + key + "'");
  const int64_t v = j[key].get<int64_t>();
  if (v < lo || v > hi)
    throw Error(where + ": '" + key + "' = " + std::to_string(v) + " is outside [" + std::to_string(lo) +
                ", " + std::to_string(hi) + "]");
  return v;
}

inline double json_number(const nlohmann::json& j, const char* key, const std::string& where) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number())
    throw Error(where + ": missing or non-numeric '" + key + "'");
  return j[key].get<double>();
}

inline std::string json_string(const nlohmann::json& j, const char* key, const std::string& where) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string())
    throw Error(where + ": missing or non-string '" + key + "'");
  return j[key].get<std::string>();
}

// Parses the graph metadata and checks format name and version.
nlohmann::json parse_graph(const std::string& path, const std::string& format_meta,
                           const std::string& version_meta, const std::string& graph_meta,
                           const char* expected_format, int supported_version);

}  // namespace ifq::format
