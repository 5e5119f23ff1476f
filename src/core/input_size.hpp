#pragma once
// with_input_size for both model kinds (float_model.hpp, int_model.hpp): set
// the input's height and width, then validate the whole network at that size.
#include <string>
#include <utility>

#include "ifq/error.hpp"
#include "ifq/shape.hpp"

namespace ifq::core_detail {

// input_of(model) returns the input's Shape3&; validate(model) throws ifq::Error.
template <class Model, class InputOf, class Validate>
Model moved_to_input_size(Model model, int height, int width, InputOf input_of, Validate validate) {
  const std::string size = std::to_string(width) + "x" + std::to_string(height);
  if (height <= 0 || width <= 0) throw Error("input size " + size + " is not positive");
  Shape3& input = input_of(model);
  input.h = height;
  input.w = width;
  try {
    validate(model);
  } catch (const Error& e) {
    throw Error("model '" + model.name + "' cannot run at input " + size + ": " + e.what());
  }
  return model;
}

}  // namespace ifq::core_detail
