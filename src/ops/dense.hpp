#pragma once
// What conv and fc share: integer weights and their accumulation.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "ifq/ops/c_emitter.hpp"
#include "ops/op_definitions.hpp"

namespace ifq::ops {

// Accumulation wraps modulo 2^64 (unsigned arithmetic) so a hostile model
// file cannot cause undefined behaviour; converter-produced models stay far
// inside int64 (the converter proves the int32 bound for levels/pixels).
int64_t dot_wrapping(const int32_t* w, const int32_t* x, size_t n);

// max over rows of sum |w| (the gain from the input's |value| to |acc|).
int64_t max_row_abs_sum(const std::vector<int32_t>& w, size_t rows);

// The memory rule of conv and fc: the weights' bits, and the accumulator's
// |value| bound (input bound x the largest row of |w|, shifted) passed on.
void account_dense(const std::vector<int32_t>& weight, int bits, int rows, int acc_shift, OpMemory& m,
                   MemoryFlow& flow);


// The ifq_conv_params entry of a conv (or an fc: a conv whose kernel covers
// the whole input): weights in the narrowest storage, acc32 when proven.
struct DenseGeometry {
  int kh = 1, kw = 1, stride = 1, pad = 0, out_channels = 0, acc_shift = 0;  // out_channels: weight rows
  int duplicate = 1, input_repeat = 1;               // conv only (IntConvOp)
  const std::vector<uint8_t>* negate = nullptr;      // conv only, may be empty
};
std::string emit_dense_c(CEmitter& e, const std::vector<int32_t>& weight, int bits, const DenseGeometry& g);

// |acc| <= max|input| * max_o sum|w[o]|: when that bound fits int32 (and no
// shift is applied) the C runtime may sum in 32 bits with the same result.
bool accumulator_fits_int32(const std::vector<int32_t>& weight, int out_channels, int acc_shift,
                            int64_t input_max_abs);

}  // namespace ifq::ops
