#pragma once
// Random small float quantization networks for the export tests. They cover
// every integer op the converter emits: binary and float weights, k = 1..4,
// BN with negative and zero gamma (and without affine), pooling before BN,
// after BN and after the quantizer, conv and fc heads, ReLU / leaky tails,
// first and last substructures quantized or not. BN statistics are measured
// on random images so the quantizers actually reach their levels.
#include <cstdint>
#include <random>
#include <vector>

#include "ifq/float_model.hpp"

namespace ifq::export_test {

FloatModel random_float_net(std::mt19937& rng);
std::vector<uint8_t> random_image(std::mt19937& rng, const Shape3& shape);

// Tinier-YOLO face (algorithms.md §7): binary convs 8..256 with 2x2/2 pools,
// a 2x2/1 pool, a 3x3x512 conv, a 1x1x512 conv and a 1x1x30 binary head; k = 2.
// Random weights, BN statistics calibrated like the random nets.
FloatModel tinier_yolo_face(int width, int height, uint32_t seed);
// models/dupnet-tinier-yolo-face.cfg with random weights and calibrated BN.
FloatModel dupnet_tinier_yolo_face(int width, int height, uint32_t seed);

// The Fashion-MNIST classifier of models/fashion-hwgq.cfg: float first conv
// (16, 3x3, pool, BN, HWGQ), binary conv 32 + pool, binary fc 256, float fc 10;
// k = 2. Random weights, calibrated BN.
FloatModel fashion_classifier(uint32_t seed);

}  // namespace ifq::export_test
