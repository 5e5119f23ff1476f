#pragma once
// The converter's state and steps (convert.cpp: the driver; convert_integrated.cpp:
// folded substructures; convert_separated.cpp: layer by layer with Q_m = 2^m).
#include <string>
#include <vector>

#include "convert/folding.hpp"
#include "ifq/convert.hpp"
#include "ifq/substructure.hpp"

namespace ifq::convert_detail {

// How the current integer tensor relates to the float network's tensor.
struct Repr {
  enum Kind { Pixels, Levels, Fixed } kind = Pixels;
  std::vector<double> pixel_scale;  // Pixels: real = value * pixel_scale[c] (1/std)
  double step = 0;                  // Levels: real = value * step
  int bits = 0;                     // Levels
  int frac = 0;                     // Fixed: real = value / 2^frac
  int64_t max_abs = 0;              // a bound on |value|, for overflow proofs
};

// floor(x * 2^m) as an integer; throws when it does not fit in 64 bits.
int64_t floor_scaled(double x, int m, const std::string& what);

// A conv or fc layer's weights as one row of fan_in weights per output.
// A DupNet conv (ConvLayer) is seen expanded: output o's row is its stored
// filter (o % rows), whose input_repeat column blocks stay separate columns;
// emit_weight_op stores the copies once again where their integer rows agree.
struct WeightView {
  bool is_conv = true;
  int out = 0, fan_in = 0, kernel = 1, stride = 1, pad = 0;
  WeightKind kind = WeightKind::Float;
  const std::vector<float>* weight = nullptr;
  const std::vector<float>* alpha = nullptr;
  const std::vector<float>* bias = nullptr;
  int rows = 0;                        // stored rows (out / duplicate)
  int duplicate = 1, input_repeat = 1;
  int in_channels = 1, spatial = 1;    // the input's channels; fc: pixels per channel
  FixedWeights fixed;                  // fixed weights only
  double w(size_t i) const {
    const size_t o = i / size_t(fan_in), col = i % size_t(fan_in);
    return (*weight)[(o % size_t(rows)) * size_t(fan_in) + col];
  }
  double b(int o) const { return bias->empty() ? 0.0 : double((*bias)[size_t(o)]); }
  // The integer weight (binary or fixed) and the real one (float_model.hpp).
  int32_t integer(size_t i) const { return integer_weight(kind, float(w(i)), fixed); }
  double real(size_t i) const {
    return real_weight(kind, float(w(i)), alpha->empty() ? 0.0f : (*alpha)[i / size_t(fan_in)], fixed);
  }
  // The input channel that column `col` reads.
  int channel_of(int col) const { return is_conv ? (col / (kernel * kernel)) % in_channels : col / spatial; }
};

WeightView view_of(const Layer& layer, const Shape3& in);

class Converter {
 public:
  Converter(const FloatModel& model, const ConvertOptions& opt)
      : model_(model), opt_(opt), shapes_(infer_shapes(model)) {}

  ConvertResult run();

 private:
  const FloatModel& model_;
  const ConvertOptions& opt_;
  std::vector<Shape3> shapes_;
  ConvertResult out_;
  Repr repr_;
  int sub_index_ = 0;

  void note(const std::string& text) { out_.notes.push_back({sub_index_, text}); }
  const Shape3& in_shape(int layer) const { return shapes_[size_t(layer) - 1]; }
  std::string where(int layer) const {
    return "layer " + std::to_string(layer) + " (" + layer_type_name(model_.layers[size_t(layer)]) + ")";
  }

  // ---- integrated: {weight, [pool], [bn], [pool], hwgq, [pools]} ----------
  // weight_m < 0: binary or fixed weights taken as integers (quantized substructure).
  // weight_m >= 0: weights converted to floor(W_eff * 2^m) first.
  void convert_folded(const Substructure& s, int weight_m);

  void check_acc_bound(int layer, const WeightView& v, const std::vector<int32_t>& w);

  // weights: [v.out][v.fan_in]; `negated` rows hold -row (integrated conversion).
  void emit_weight_op(const WeightView& v, const Shape3& in, std::vector<int32_t> weights, int bits, int acc_shift);

  IntMaxPoolOp pool_op(int layer) const;

  // ---- separated: layer by layer with Q_m = 2^m ----------------------------
  void convert_chain(int begin, int end, int m);

  static bool is_weight_layer(const Layer& l) {
    return std::holds_alternative<ConvLayer>(l) || std::holds_alternative<FcLayer>(l);
  }

  int64_t clamp_param(int64_t v, const std::string& what);

  // Pool, activation, flatten, region: no float parameters.
  void emit_simple(int i, int m);

  // Converts the current tensor to fixed point with m fractional bits.
  void to_fixed(int m);

  int shapes_for_current() { return infer_int_shapes(out_.model).back().c; }

  // conv/fc with every value converted separately (paper Eq. 5):
  //   acc = sum(Wq * x); y = ((acc * M) >> shift) + floor(b * 2^m)
  void separated_weight_layer(int i, int m);
};

}  // namespace ifq::convert_detail
