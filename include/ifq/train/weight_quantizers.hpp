#pragma once
// Multi-bit weight quantizers of the trainer (docs/quantizers.md) that need
// no LibTorch: the format a layer's weights are quantized with, and the
// integer codes a float model file stores for them (FixedWeights in
// float_model.hpp). The trainer's forward pass uses the same formats on
// tensors; export and tests use these functions.
#include <vector>

#include "ifq/float_model.hpp"

namespace ifq {

// real weight = step * (code - zero_point), codes in the b-bit range.
struct FixedFormat {
  double step = 1;
  int zero_point = 0;
};

// Zero-centred fixed point (Kim & Kim, IEEE Access 2021): the layer's weight
// mean is subtracted before quantizing and kept as an integer zero point
// (the mean rounded to a multiple of the step); the step is the smallest
// power of two (a fixed-point format) under which the centred minimum and
// maximum both fit the b-bit codes without clipping. Throws ifq::Error for
// bits outside 2..limits::kMaxFixedWeightBits or an empty or non-finite set.
FixedFormat zero_centred_format(const std::vector<float>& weights, int bits);

// Piecewise-Gaussian step sizes (low-precision YOLO, J. Electronic Imaging
// 2018): the weights' density is fitted by two Gaussian pieces, one on each
// side of the mean with its own standard deviation (weight distributions are
// often skewed), and the step is the one whose b-bit quantizer (codes around
// the mean, as zero_centred_format) has the least expected squared error
// under that density. Any positive step, not only powers of two.
FixedFormat piecewise_gaussian_format(const std::vector<float>& weights, int bits);

// The same rule for an HWGQ quantizer (float_model.hpp) of `bits` bits: the
// positive inputs' density fitted by two Gaussian pieces split at their
// median (a truncated Gaussian on each side of it, each piece's deviation
// matched to the piece's second moment), and the step that minimizes the
// expected squared difference between max(x, 0) and the quantizer's output.
// For a unit half-Gaussian input it gives HWGQ's own step (algorithms.md §1).
// Throws ifq::Error when fewer than 16 inputs are positive.
double piecewise_gaussian_hwgq_step(const std::vector<float>& inputs, int bits);

// Which rule chooses a fixed layer's format.
enum class FixedRule { ZeroCentred, PiecewiseGaussian };
FixedFormat fixed_format(FixedRule rule, const std::vector<float>& weights, int bits);

// clamp(round_half_even(w / step) + zero_point) to the b-bit code range,
// the rounding torch.round uses, so the trainer's forward pass and export agree.
int fixed_code(double w, const FixedFormat& format, int bits);

// The layer with its float weights replaced by b-bit codes in `format`:
// weight_kind Fixed, alpha[o] = step for every output. The layer's weights
// must be float or binary (their latent values are quantized).
void quantize_layer_weights(ConvLayer& layer, int bits, const FixedFormat& format);
void quantize_layer_weights(FcLayer& layer, int bits, const FixedFormat& format);

// A layer's real weights (real_weight in float_model.hpp) per stored row:
// row r uses alpha[r], its first output's (a DupNet copy shares its row).
// The latent weights a trainer continues from.
std::vector<float> real_weights(const ConvLayer& layer);
std::vector<float> real_weights(const FcLayer& layer);

// Every binary conv and fc layer of `model` turned into b-bit fixed weights
// in the rule's format (its latent weights quantized); other layers unchanged.
FloatModel with_fixed_weights(FloatModel model, int bits, FixedRule rule);
inline FloatModel with_zero_centred_weights(FloatModel model, int bits) {
  return with_fixed_weights(std::move(model), bits, FixedRule::ZeroCentred);
}

}  // namespace ifq
