#include "ops/dense.hpp"

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <variant>

#include "ifq/error.hpp"

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

namespace {

std::string hex_literal(uint32_t v, int digits) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%0*xu", digits, v);
  return buf;
}

// Weights in the narrowest C storage; returns {IFQ_WEIGHT_* macro, array name}.
std::pair<std::string, std::string> emit_weights(CEmitter& e, const std::vector<int32_t>& weight, int bits) {
  if (bits == 1) {
    // One bit per weight, LSB first: bit j of the flat index in byte j / 8.
    std::vector<uint8_t> packed((weight.size() + 7) / 8, 0);
    for (size_t j = 0; j < weight.size(); ++j)
      if (weight[j] > 0) packed[j / 8] |= uint8_t(1u << (j % 8));
    return {"IFQ_WEIGHT_BIT", e.array("w", "uint8_t", 1, c_literals(packed, [](uint8_t v) {
                                        return hex_literal(v, 2);
                                      }))};
  }
  int32_t lo = 0, hi = 0;
  for (int32_t v : weight) lo = std::min(lo, v), hi = std::max(hi, v);
  const auto literals = c_literals(weight, [](int32_t v) { return c_int32(v); });
  if (lo >= INT8_MIN && hi <= INT8_MAX) return {"IFQ_WEIGHT_I8", e.array("w", "int8_t", 1, literals)};
  if (lo >= INT16_MIN && hi <= INT16_MAX) return {"IFQ_WEIGHT_I16", e.array("w", "int16_t", 2, literals)};
  return {"IFQ_WEIGHT_I32", e.array("w", "int32_t", 4, literals)};
}

// Binary weights [rows][channels][taps] for a bit-plane input
// (IFQ_WEIGHT_BIT_PACKED): per row and tap, channel 32k + j is bit j of word k.
std::pair<std::string, std::string> emit_packed_weights(CEmitter& e, const std::vector<int32_t>& weight, int rows,
                                                        int channels, int taps) {
  const size_t words = size_t(channels + 31) / 32;
  std::vector<uint32_t> packed(size_t(rows) * size_t(taps) * words, 0);
  for (size_t r = 0; r < size_t(rows); ++r)
    for (size_t c = 0; c < size_t(channels); ++c)
      for (size_t t = 0; t < size_t(taps); ++t)
        if (weight[(r * size_t(channels) + c) * size_t(taps) + t] > 0)
          packed[(r * size_t(taps) + t) * words + c / 32] |= 1u << (c % 32);
  return {"IFQ_WEIGHT_BIT_PACKED",
          e.array("w", "uint32_t", 4, c_literals(packed, [](uint32_t v) { return hex_literal(v, 8); }))};
}

// Binary weights reading the raw image (a first layer) are stored as int8
// up to this many (at most 7 KB more flash than bits): the byte kernel then
// needs about half the instructions of extracting bits.
constexpr size_t kMaxWidenedImageWeights = 8192;

}  // namespace

std::string emit_dense_c(CEmitter& e, const std::vector<int32_t>& weight, int bits, const DenseGeometry& g) {
  const bool acc32 = accumulator_fits_int32(weight, g.out_channels, g.acc_shift, e.input_max_abs());
  std::pair<std::string, std::string> stored;
  if (e.input_bit_planes() > 0) {
    // The plan chose bit planes for this input (c_packed_input_planes).
    if (bits != 1 || !acc32 || g.input_repeat != 1)
      throw Error("export-c: internal: a bit-plane input read by weights the popcount kernel cannot run");
    stored = emit_packed_weights(e, weight, g.out_channels, e.input_shape().c, g.kh * g.kw);
  } else {
    const bool widen = bits == 1 && e.input_is_image() && weight.size() <= kMaxWidenedImageWeights;
    stored = emit_weights(e, weight, widen ? 8 : bits);
  }
  const auto& [format, weights] = stored;
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

namespace ifq {

int c_packed_input_planes(const IntOp& consumer, ValueRange input) {
  const int planes = input.level_bits();
  if (planes == 0) return 0;
  if (const auto* c = std::get_if<IntConvOp>(&consumer)) {
    if (c->weight_bits != 1 || c->input_repeat != 1) return 0;
    return ops::accumulator_fits_int32(c->weight, c->stored_filters(), c->acc_shift, input.hi) ? planes : 0;
  }
  if (const auto* f = std::get_if<IntFcOp>(&consumer)) {
    if (f->weight_bits != 1) return 0;
    return ops::accumulator_fits_int32(f->weight, f->out_features, f->acc_shift, input.hi) ? planes : 0;
  }
  return 0;
}

}  // namespace ifq
