#pragma once
// Checking a converted integer network against its float quantization
// network: the levels of every substructure that ends in a quantizer, each
// fed the float network's own input levels (teacher forcing, as the paper's
// Table 2 keeps the other substructures in float), plus the levels end to end.
#include <cstdint>
#include <vector>

#include "ifq/float_model.hpp"
#include "ifq/int_model.hpp"

namespace ifq {

struct SubstructureAgreement {
  int index = 0;  // into IntModel::substructures
  SubstructureKind kind = SubstructureKind::NonQuantized;
  int64_t levels_compared = 0, levels_mismatched = 0;
};

struct VerifyReport {
  int64_t inputs = 0;
  std::vector<SubstructureAgreement> substructures;  // those producing levels
  // Levels of every quantizer when the integer network runs alone from the
  // image (differences in a non-quantized first layer propagate here).
  int64_t end_to_end_compared = 0, end_to_end_mismatched = 0;
  int64_t quantized_mismatched() const;  // sum over quantized substructures
  int64_t quantized_compared() const;
};

VerifyReport verify_conversion(const FloatModel& float_model, const IntModel& int_model,
                               const std::vector<std::vector<uint8_t>>& images);

}  // namespace ifq
