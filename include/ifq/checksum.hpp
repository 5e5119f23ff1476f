#pragma once
// CRC-32 (IEEE 802.3, the same values as zlib's crc32): the checksums that
// let model files and checkpoints reject flipped bits (docs/model-format.md).
#include <cstddef>
#include <cstdint>

namespace ifq {

// The CRC-32 of `n` bytes continued from `crc` (0 to start), as zlib's
// crc32(crc, data, n): crc32(crc32(0, a), b) == crc32(0, a + b).
uint32_t crc32(uint32_t crc, const void* data, size_t n);

}  // namespace ifq
