#pragma once
// The framework-neutral description of a float quantization network: a
// sequence of layers, each with its parameters in float32 (as trained).
// What these layers compute is specified by the double-precision reference
// evaluator (reference_eval.hpp) and documented in docs/model-format.md.
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "ifq/shape.hpp"

namespace ifq {

// x = (pixel - mean[c]) / std[c] for an 8-bit image. The mean is an integer
// pixel value so the integer runtime can subtract it exactly and zero padding
// means the same thing in both worlds.
struct InputLayer {
  Shape3 shape;
  std::vector<int> mean;      // one per channel, 0..255
  std::vector<float> std;     // one per channel, > 0
};

enum class WeightKind { Float, Binary, Fixed };

// Binary weights are alpha[o] * sign(w), sign(0) = +1 (the trainer and the
// converter use the same rule; tests pin it).
//
// Fixed weights (multi-bit, docs/quantizers.md) are alpha[o] * (q - zero_point)
// for integer codes q in [-2^(bits-1), 2^(bits-1) - 1], stored in `weight` as
// floats (exact: |q| <= 128). The integer network multiplies by q - zero_point
// and folds alpha into its thresholds, so integrated conversion stays exact as
// for binary weights. A per-output alpha covers per-channel scales; the one
// zero point per layer is how a subtracted weight mean is kept (zero-centred
// quantization: mean ~ -zero_point * alpha).
struct FixedWeights {
  int bits = 0;        // 2..limits::kMaxFixedWeightBits; 0 unless weight_kind is Fixed
  int zero_point = 0;  // within the code range
};
// The codes a `bits`-bit weight may take.
int fixed_code_min(int bits);
int fixed_code_max(int bits);
// The integer an integer network multiplies by: +-1 (binary) or q - zero_point
// (fixed). Not defined for float weights.
int32_t integer_weight(WeightKind kind, float w, const FixedWeights& fixed);
// The real weight a layer applies: w (float), alpha * sign(w) (binary) or
// alpha * (q - zero_point) (fixed). alpha is ignored for float weights.
double real_weight(WeightKind kind, float w, float alpha, const FixedWeights& fixed);
//
// DupNet (algorithms.md §10, docs/dupnet.md) adds two ways to share weights:
//   duplicate = d:     the out_channels filters are d copies of the
//                      out_channels / d stored ones; output o uses stored
//                      filter o % unique_filters(). Each output keeps its own
//                      alpha, bias (and BN and quantizer after it).
//   input_repeat = r:  a stored filter has r * C_in input channels and its
//                      channel j reads input channel j % C_in: the layer sees
//                      its input map r times but the map is stored once.
struct ConvLayer {
  int out_channels = 0, kernel = 1, stride = 1, pad = 0;
  int duplicate = 1, input_repeat = 1;
  WeightKind weight_kind = WeightKind::Float;
  FixedWeights fixed;         // fixed only
  std::vector<float> weight;  // [out / duplicate][input_repeat * in][kernel][kernel]
  std::vector<float> alpha;   // [out], binary and fixed only
  std::vector<float> bias;    // [out] or empty

  int unique_filters() const { return out_channels / duplicate; }
  // Weights per stored filter for an input of `in_channels` channels.
  int64_t filter_size(int in_channels) const { return int64_t(input_repeat) * in_channels * kernel * kernel; }
};

// Fully connected; its input (any CxHxW) is flattened in CHW order.
struct FcLayer {
  int out_features = 0;
  WeightKind weight_kind = WeightKind::Float;
  FixedWeights fixed;         // fixed only
  std::vector<float> weight;  // [out][in]
  std::vector<float> alpha;   // [out], binary and fixed only
  std::vector<float> bias;    // [out] or empty
};

// Darknet semantics: pad is the total padding, begin = pad / 2.
struct MaxPoolLayer {
  int size = 2, stride = 2, pad = 0;
};

// y = gamma * (x - mean) / sqrt(var + eps) + beta; gamma/beta may be empty
// (meaning 1 and 0, as in the released HWGQ models).
struct BatchNormLayer {
  std::vector<float> mean, var, gamma, beta;
  float eps = 1e-5f;
};

// HWGQ (Cai et al. 2017): level = #{i : x > thr_i}, thresholds
// {0, 1.5s, 2.5s, ..., (2^k - 1.5)s}; output = level * step.
struct HwgqLayer {
  int bits = 2;
  float step = 0.5388f;
};

struct ReluLayer {};
struct LeakyLayer { float slope = 0.1f; };
struct FlattenLayer {};

// Marks the output as a YOLOv2 region head (decoding happens outside).
struct RegionLayer {
  int classes = 1, num = 5, coords = 4;
  std::vector<float> anchors;  // 2 * num, in grid cells
  // Box centre offset s·σ(t) − (s − 1)/2 within a cell (darknet's [yolo]
  // scale_x_y, YOLOv4/v5's grid sensitivity): 1 is YOLOv2's σ(t); 2 lets a
  // cell place a centre up to half a cell beyond its edges (region_box).
  float scale_x_y = 1;
};

// The centre scales a region accepts. Every reader of scale_x_y checks it
// with scale_x_y_problem: why s is refused ("" when it is in range), one
// message built from these bounds.
inline constexpr double kMinScaleXY = 1, kMaxScaleXY = 4;
std::string scale_x_y_problem(double s);

using Layer = std::variant<InputLayer, ConvLayer, FcLayer, MaxPoolLayer, BatchNormLayer,
                           HwgqLayer, ReluLayer, LeakyLayer, FlattenLayer, RegionLayer>;

const char* layer_type_name(const Layer& layer);
// The latent weights of a binary conv or fc layer (their signs are what the
// integer network uses); null for any other layer.
const std::vector<float>* binary_latent_weights(const Layer& layer);

struct FloatModel {
  std::string name;
  std::vector<Layer> layers;  // layers[0] is the InputLayer
};

// Validates parameter sizes and geometry; returns the output shape of every
// layer (index i = after layers[i]). Throws ifq::Error naming the layer.
std::vector<Shape3> infer_shapes(const FloatModel& model);

// Number of trainable float parameters the model holds (weights, biases,
// BN gamma/beta; alpha and BN running statistics excluded).
int64_t count_parameters(const FloatModel& model);
// Elements of the largest layer output (the input image not counted): the
// float network's feature-map peak, in values.
int64_t largest_layer_elements(const FloatModel& model);
// The same check for one layer given its input shape (layer 0: any shape).
Shape3 validate_layer(size_t index, const Layer& layer, Shape3 input);

// The float counterpart of with_input_size(IntModel, ...) in int_model.hpp.
FloatModel with_input_size(FloatModel model, int height, int width);

// HWGQ helpers shared by evaluator, converter and trainer.
std::vector<double> hwgq_thresholds(int bits, double step);
int hwgq_level(double x, int bits, double step);
// The HWGQ step optimal for a unit half-Gaussian (algorithms.md §1), k = 1..8;
// throws ifq::Error otherwise.
double hwgq_default_step(int bits);

}  // namespace ifq
