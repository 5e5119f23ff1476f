#pragma once
// An op's stored fields, declared once: each op's fields() names every field
// it stores, the range a value may take and the length of each array. The
// model-file loader and saver and the validator are visitors over that one
// list, so a limit cannot differ between loading and validating again.
//
// Visiting order matters: a length may depend on fields visited before it
// (a conv's weight count on its channels and kernel), and the loader and
// the validator stop at the first bad field, before any length is computed
// from it.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "ifq/shape.hpp"

namespace ifq::ops {

class OpFields {
 public:
  virtual ~OpFields() = default;
  // A scalar in the graph JSON, lo <= v <= hi.
  virtual void attr(const char* key, int& v, int64_t lo, int64_t hi) = 0;
  virtual void attr(const char* key, int64_t& v, int64_t lo, int64_t hi) = 0;
  // A short per-channel list in the graph JSON (the input op's mean).
  virtual void attr_list(const char* key, std::vector<int32_t>& v, size_t count, int64_t lo, int64_t hi) = 0;
  // An integer tensor of `count` values, each in [lo, hi].
  virtual void tensor(const char* key, std::vector<int32_t>& v, size_t count) = 0;
  virtual void tensor(const char* key, std::vector<int64_t>& v, size_t count, int64_t lo, int64_t hi) = 0;
  // `count` weights of `bits` bits (1: -1/+1, stored bit-packed).
  virtual void weights(std::vector<int32_t>& v, int bits, size_t count) = 0;
  // Optional per-channel 0/1 flags, present when the JSON bool `key` is true.
  virtual void optional_flags(const char* key, std::vector<uint8_t>& v, size_t count) = 0;

  // Fields added in format version 2 (kIntModelVersion): a file holds them
  // only when they differ from what version 1 meant (`absent`, no flags), and
  // is then marked version 2, so a version-1 reader rejects it instead of
  // misreading it, and files without them stay byte-identical.
  virtual void added_attr(const char* key, int& v, int64_t lo, int64_t hi, int absent) = 0;
  virtual void added_flags(const char* key, std::vector<uint8_t>& v, size_t count) = 0;
};

}  // namespace ifq::ops
