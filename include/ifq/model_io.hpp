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

// Version 2 added DupNet weight sharing (conv duplicate / input_repeat / negate);
// a file is marked 2 only when it uses it, so older readers reject it and
// every other file stays version 1, byte for byte.
inline constexpr int kFloatModelVersion = 4;  // 3: fixed (multi-bit) weights; 4: region scale_x_y
inline constexpr int kIntModelVersion = 3;    // 3: region scale_x_y

void save_float_model(const FloatModel& model, const std::string& path);
FloatModel load_float_model(const std::string& path);
// The graph a float model file stores for `model`: every layer's kind,
// geometry and settings (weight kind, HWGQ step, anchors...), no tensor
// values. Two models are the same network when their graphs are equal.
std::string float_model_graph(const FloatModel& model);

void save_int_model(const IntModel& model, const std::string& path);
IntModel load_int_model(const std::string& path);

// "float" or "int" from the file's metadata (throws on anything else).
std::string model_file_kind(const std::string& path);

}  // namespace ifq
