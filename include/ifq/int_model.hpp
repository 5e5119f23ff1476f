#pragma once
// The converted integer network: a sequence of integer operations. Nothing
// here is floating point; every parameter is an integer decided by the
// converter. Each op is defined once, in the op registry
// (ifq/ops/op_list.hpp: its struct in ifq/ops/<name>.hpp, its behaviour in
// src/ops/<name>.cpp); docs/model-format.md documents the file.
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

#include "ifq/ops/op_list.hpp"
#include "ifq/ops/value_range.hpp"
#include "ifq/shape.hpp"

namespace ifq {

namespace detail {
template <class Start, class... Ops>
struct VariantOfOps {
  using type = std::variant<Ops...>;
};
}  // namespace detail

// One integer op: a variant over the registry's list (ops/op_list.hpp).
#define IFQ_OP_TYPE_AFTER_COMMA(T, name, role) , T
using IntOp = detail::VariantOfOps<void IFQ_INT_OPS(IFQ_OP_TYPE_AFTER_COMMA)>::type;
#undef IFQ_OP_TYPE_AFTER_COMMA

// The op's type name in model files ("conv", "threshold", ...).
const char* int_op_name(const IntOp& op);
// True for ops that map each value of channel c to one value on its own
// (apply_pointwise in runtime.hpp); such ops fuse freely in the runtimes.
bool int_op_is_pointwise(const IntOp& op);
// The range of the op's output values given its input's (value_range.hpp).
ValueRange int_op_output_range(const IntOp& op, ValueRange in);

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
  float scale_x_y = 1;         // the region layer's centre scale (RegionLayer::scale_x_y)
};

struct RegionLayer;
// The description of a float model's region layer that decoding needs (one
// copy for the converter and the float detector).
RegionInfo region_info(const RegionLayer& layer);

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

// Checks that `output` describes what the last op produces: levels of
// `bits` exactly when the network ends in a quantizer, and a fixed-point
// output's frac_bits equal to the last requant's. A wrong entry would make a
// detector decode garbage (254 "faces" where the intact model finds 3).
// The loader and saver call it; throws ifq::Error.
void check_int_output_info(const IntModel& model);

// The same network for another input height x width (channels unchanged).
// Convolutions, pools and the region head slide over any size, so a fully
// convolutional detector can look at a photo at a higher resolution than it
// was trained at, as YOLOv2 does; levels stay exact (the converter's int32
// bounds are per output value, independent of the map size). Throws
// ifq::Error naming the op that cannot take the size (a fully connected
// layer fixes its input; a map shrinks to nothing).
IntModel with_input_size(IntModel model, int height, int width);

}  // namespace ifq
