#pragma once
// Reading and writing the two model files (docs/model-format.md). Both are
// safetensors containers with an ifq graph in the metadata. Loading checks
// every count, offset and shape and throws ifq::Error naming the problem;
// saving writes a temporary file and renames it, so an existing file is
// never left half-written.
#include <string>

#include "ifq/float_model.hpp"
#include "ifq/int_model.hpp"

namespace ifq {

inline constexpr int kFloatModelVersion = 1;
inline constexpr int kIntModelVersion = 1;

void save_float_model(const FloatModel& model, const std::string& path);
FloatModel load_float_model(const std::string& path);

void save_int_model(const IntModel& model, const std::string& path);
IntModel load_int_model(const std::string& path);

// "float" or "int" from the file's metadata (throws on anything else).
std::string model_file_kind(const std::string& path);

}  // namespace ifq
