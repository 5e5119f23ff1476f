#pragma once
// Memory accounting (paper §4.1.3, Table 4).
#include <cstdint>
#include <string>
#include <vector>

#include "ifq/int_model.hpp"

namespace ifq {

struct OpMemory {
  int op_index = 0;
  std::string name;
  int64_t weights = 0, weight_bits = 0;          // count and bits per weight
  int64_t thresholds = 0, threshold_bits = 0;    // thresholds stored
  int64_t other_params = 0, other_bits = 0;      // multipliers, biases, means
  int64_t model_bits = 0;                        // all of the above
  Shape3 output_shape;
  int output_bits = 0;                           // bits per output element
  int64_t feature_map_bits = 0;                  // one output map
};

struct MemoryReport {
  std::vector<OpMemory> ops;
  int64_t model_size_bits = 0;
  int64_t model_size_bytes = 0;     // ceil(bits / 8)
  // The paper's model size counts weight bits only (IFQ-Tinier-YOLO's
  // "246 KB" = 1,973,080 one-bit weights); thresholds and the other integers
  // are in model_size_bits on top.
  int64_t weight_size_bits = 0;
  int64_t weight_size_bytes = 0;    // ceil(weight bits / 8)
  int64_t feature_map_peak_bits = 0;  // paper: largest single layer (input included)
  int64_t arena_bytes = 0;          // what the reference runtime allocates
};

MemoryReport account_memory(const IntModel& model);

// Minimal bits of a signed integer range [lo, hi] (two's complement).
int signed_bits_for(int64_t lo, int64_t hi);

}  // namespace ifq
