#pragma once
// The converted integer network: a sequence of integer operations. Nothing
// here is floating point; every parameter is an integer decided by the
// converter. The reference runtime (runtime.hpp) specifies what each op
// computes; docs/model-format.md documents it.
//
// Tensors between ops are int32 CHW maps. An op's output is one of:
//   levels  - HWGQ levels 0..2^k-1 (k = `bits` of the producing op)
//   acc     - an exact integer accumulator (conv/fc over levels or pixels)
//   fixed   - a fixed-point value with `frac_bits` fractional bits,
//             stored saturated to int32
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "ifq/shape.hpp"

namespace ifq {

// uint8 image (CHW) -> pixel - mean[c].
struct IntInputOp {
  Shape3 shape;
  std::vector<int32_t> mean;
};

// Integer convolution (weight_bits == 1: weights are -1/+1). Accumulates in
// int64, then out = saturate32(acc >> acc_shift). acc_shift is 0 whenever the
// input is levels or pixels (the converter proves those sums fit in int32).
struct IntConvOp {
  int in_channels = 0, out_channels = 0, kernel = 1, stride = 1, pad = 0;
  int weight_bits = 1;
  int acc_shift = 0;
  std::vector<int32_t> weight;  // [out][in][kernel][kernel]
};

// Fully connected over the flattened (CHW) input; same arithmetic as conv.
struct IntFcOp {
  int in_features = 0, out_features = 0;
  int weight_bits = 1;
  int acc_shift = 0;
  std::vector<int32_t> weight;  // [out][in]
};

// Max pooling (Darknet geometry). take_min[c] != 0 pools channel c with min:
// used when a channel's weights were negated for a negative BN scale and the
// float network pools BEFORE BN (max of the original = -min of the negated).
struct IntMaxPoolOp {
  int size = 2, stride = 2, pad = 0;
  std::vector<uint8_t> take_min;  // [channels] or empty (all max)
};

// Integrated conversion (paper Eq. 7-8): level = #{i : x > thresholds[c][i]},
// thresholds ascending, 2^bits - 1 per channel. INT32_MIN / INT32_MAX encode
// "always" / "never" (zero BN scale, out-of-range folds).
struct IntThresholdOp {
  int bits = 2;
  int channels = 0;
  std::vector<int32_t> thresholds;  // [channels][2^bits - 1]
};

// Separated conversion (paper Eq. 5): y = ((x * multiplier[c]) >> shift) + bias[c],
// result fixed-point with frac_bits fractional bits.
struct IntRequantOp {
  int shift = 0;
  int frac_bits = 0;
  std::vector<int64_t> multiplier;  // [channels]
  std::vector<int64_t> bias;        // [channels]
};

// Batch norm in fixed point: z = (((y - mean[c]) * scale[c]) >> shift) + beta[c].
struct IntBatchNormOp {
  int shift = 0;
  std::vector<int64_t> mean, scale, beta;  // [channels]
};

// Quantizer on fixed-point values: level = #{i : z > thresholds[i]}.
struct IntQuantOp {
  int bits = 2;
  std::vector<int64_t> thresholds;  // 2^bits - 1, ascending
};

struct IntReluOp {};
// z < 0 ? (z * multiplier) >> shift : z
struct IntLeakyOp {
  int shift = 0;
  int64_t multiplier = 0;
};

using IntOp = std::variant<IntInputOp, IntConvOp, IntFcOp, IntMaxPoolOp, IntThresholdOp,
                           IntRequantOp, IntBatchNormOp, IntQuantOp, IntReluOp, IntLeakyOp>;

const char* int_op_name(const IntOp& op);

enum class SubstructureKind { Quantized, NonQuantized };
enum class ConversionKind { Integrated, Separated, None };

// Which float layers and integer ops one substructure covers (half-open).
struct SubstructureSpan {
  SubstructureKind kind = SubstructureKind::NonQuantized;
  ConversionKind conversion = ConversionKind::None;
  int layer_begin = 0, layer_end = 0;
  int op_begin = 0, op_end = 0;
  int m = 0;  // Q_m = 2^m for separated conversion, 0 for integrated
};

// What the final tensor means, so a caller can turn it into floats.
struct IntOutputInfo {
  bool is_levels = false;
  int bits = 0;           // when levels
  double level_step = 0;  // real value of one level (informative)
  int frac_bits = 0;      // when fixed: real = value / 2^frac_bits
};

struct RegionInfo {
  bool present = false;
  int classes = 1, num = 5, coords = 4;
  std::vector<float> anchors;  // informative metadata, not used for arithmetic
};

struct IntModel {
  std::string name;
  std::vector<IntOp> ops;  // ops[0] is the IntInputOp
  std::vector<SubstructureSpan> substructures;
  IntOutputInfo output;
  RegionInfo region;
};

// Validates the op sequence and returns the output shape of every op.
std::vector<Shape3> infer_int_shapes(const IntModel& model);
// The same check for one op given its input shape (op 0: any shape).
Shape3 validate_int_op(size_t index, const IntOp& op, Shape3 input);

// The same network for another input height x width (channels unchanged).
// Convolutions, pools and the region head slide over any size, so a fully
// convolutional detector can look at a photo at a higher resolution than it
// was trained at, as YOLOv2 does; levels stay exact (the converter's int32
// bounds are per output value, independent of the map size). Throws
// ifq::Error naming the op that cannot take the size (a fully connected
// layer fixes its input; a map shrinks to nothing).
IntModel with_input_size(IntModel model, int height, int width);

}  // namespace ifq
