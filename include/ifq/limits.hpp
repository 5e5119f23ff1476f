#pragma once
// Bounds on every model, in memory and in a file: the loaders reject values
// beyond them before allocating anything, and validation (infer_shapes,
// infer_int_shapes) checks them again, so both always agree. (They once
// disagreed: the loaders accepted a padding of 128, validation only 127.)
namespace ifq::limits {

inline constexpr int kMaxLayers = 4096;       // layers of a float model, ops of an integer one
inline constexpr int kMaxInputChannels = 4096;
inline constexpr int kMaxInputSide = 16384;   // input height and width
inline constexpr int kMaxChannels = 65536;    // conv outputs, threshold / BN channels
inline constexpr int kMaxWindow = 64;         // conv kernel and pool window side
inline constexpr int kMaxStride = 64;
// Padding stays below the window plus this many (conv: pad < kernel + 64).
inline constexpr int kMaxPadBeyondWindow = 64;
inline constexpr int kMaxPad = kMaxWindow + kMaxPadBeyondWindow - 1;
inline constexpr int kMaxFeatures = 1 << 24;  // fully connected outputs
inline constexpr int kMaxWeightBits = 24;     // integer weights (1: binary)
inline constexpr int kMaxFixedWeightBits = 8;  // codes of a float model's fixed (multi-bit) weights
inline constexpr int kMaxLevelBits = 8;       // k of a quantizer's levels
inline constexpr int kMaxInputRepeat = 64;    // DupNet: times a conv reads its input map
// Weights of a whole network built from a cfg (4 GiB of float32): refused
// before allocating (issue 15: cfg-size allocated 105 GB for a huge cfg).
inline constexpr long long kMaxNetworkWeights = 1LL << 30;

}  // namespace ifq::limits
