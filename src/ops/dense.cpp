#include "ops/dense.hpp"

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>

namespace ifq::ops {

int64_t dot_wrapping(const int32_t* w, const int32_t* x, size_t n) {
  uint64_t acc = 0;
  for (size_t i = 0; i < n; ++i) acc += uint64_t(int64_t(w[i]) * int64_t(x[i]));
  return int64_t(acc);
}

int64_t max_row_abs_sum(const std::vector<int32_t>& w, size_t rows) {
  const size_t n = w.size() / rows;
  int64_t best = 0;
  for (size_t r = 0; r < rows; ++r) {
    int64_t s = 0;
    for (size_t i = 0; i < n; ++i) s += std::abs(int64_t(w[r * n + i]));
    best = std::max(best, s);
  }
  return best;
}

namespace {

// a * b >> shift, saturated at 2^40 (memory-report bounds need only be safe).
int64_t bound_product(int64_t a, int64_t b, int shift) {
  const double v = double(a) * double(b) / double(int64_t(1) << shift);
  return v >= double(int64_t(1) << 40) ? int64_t(1) << 40 : int64_t(v);
}

}  // namespace

void account_dense(const std::vector<int32_t>& weight, int bits, int rows, int acc_shift, OpMemory& m,
                   MemoryFlow& flow) {
  m.weights = int64_t(weight.size());
  m.weight_bits = bits;
  flow.max_abs = bound_product(max_row_abs_sum(weight, size_t(rows)), flow.max_abs, acc_shift);
  flow.value_bits = 32;
}

std::pair<std::string, std::string> emit_weights(CEmitter& e, const std::vector<int32_t>& weight, int bits) {
  if (bits == 1) {
    // One bit per weight, LSB first: bit j of the flat index in byte j / 8.
    std::vector<uint8_t> packed((weight.size() + 7) / 8, 0);
    for (size_t j = 0; j < weight.size(); ++j)
      if (weight[j] > 0) packed[j / 8] |= uint8_t(1u << (j % 8));
    return {"IFQ_WEIGHT_BIT", e.array("w", "uint8_t", 1, c_literals(packed, [](uint8_t v) {
                                        char buf[8];
                                        std::snprintf(buf, sizeof buf, "0x%02x", v);
                                        return std::string(buf);
                                      }))};
  }
  int32_t lo = 0, hi = 0;
  for (int32_t v : weight) lo = std::min(lo, v), hi = std::max(hi, v);
  const auto literals = c_literals(weight, [](int32_t v) { return c_int32(v); });
  if (lo >= INT8_MIN && hi <= INT8_MAX) return {"IFQ_WEIGHT_I8", e.array("w", "int8_t", 1, literals)};
  if (lo >= INT16_MIN && hi <= INT16_MAX) return {"IFQ_WEIGHT_I16", e.array("w", "int16_t", 2, literals)};
  return {"IFQ_WEIGHT_I32", e.array("w", "int32_t", 4, literals)};
}

std::string emit_dense_c(CEmitter& e, const std::vector<int32_t>& weight, int bits, const DenseGeometry& g) {
  const auto [format, weights] = emit_weights(e, weight, bits);
  const bool acc32 = accumulator_fits_int32(weight, g.out_channels, g.acc_shift, e.input_max_abs());
  // DupNet fields only when used: other models' C stays as it was.
  std::string sharing;
  if (g.duplicate != 1) sharing += ", .duplicate = " + std::to_string(g.duplicate);
  if (g.input_repeat != 1) sharing += ", .input_repeat = " + std::to_string(g.input_repeat);
  if (g.negate && std::any_of(g.negate->begin(), g.negate->end(), [](uint8_t v) { return v != 0; }))
    sharing += ", .negate = " + e.array("neg", "uint8_t", 1, c_literals(*g.negate, [](uint8_t v) { return v ? "1" : "0"; }));
  const auto params = e.params("ifq_conv_params", ".kh = " + std::to_string(g.kh) + ", .kw = " + std::to_string(g.kw) +
                                                      ", .stride = " + std::to_string(g.stride) +
                                                      ", .pad = " + std::to_string(g.pad) +
                                                      ", .acc_shift = " + std::to_string(g.acc_shift) +
                                                      ", .weight_format = " + format + ", .acc32 = " +
                                                      (acc32 ? "1" : "0") + ", .weights = " + weights + sharing);
  return e.op_entry("IFQ_OP_CONV", params);
}

bool accumulator_fits_int32(const std::vector<int32_t>& weight, int out_channels, int acc_shift,
                            int64_t input_max_abs) {
  if (acc_shift != 0) return false;
  const int64_t max_sum = max_row_abs_sum(weight, size_t(out_channels));
  return max_sum == 0 || input_max_abs <= int64_t(INT32_MAX) / max_sum;
}

}  // namespace ifq::ops
