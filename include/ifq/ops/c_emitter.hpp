#pragma once
// How an op writes itself into the C export (ifq export-c). The exporter
// implements CEmitter; each op's definition (src/ops/<name>.cpp) says which
// arrays and which ifq_<kind>_params struct it needs, with designated
// initialisers (`.shift = 3`), so a field renamed in ifq_micro.h is a
// compile error in the generated code, never a silent shift of positions.
#include <cstdint>
#include <string>
#include <vector>

#include "ifq/int_model.hpp"
#include "ifq/ops/value_range.hpp"
#include "ifq/shape.hpp"

namespace ifq {

class CEmitter {
 public:
  virtual ~CEmitter() = default;
  // `static const <ctype> <model>_op<i>_<suffix>[] = {...};`, returns its name.
  // `literals` are C constants (c_int32, c_int64, ...); elem_bytes counts
  // the parameter bytes of the export.
  virtual std::string array(const std::string& suffix, const char* ctype, int elem_bytes,
                            const std::vector<std::string>& literals) = 0;
  // `static const <ctype> <model>_op<i> = {<designated fields>};`, returns "&<name>".
  virtual std::string params(const char* ctype, const std::string& designated_fields) = 0;
  // The op's input and output shapes, and a bound on |input value| (from
  // the export plan's stored tensor the op's segment reads).
  virtual Shape3 input_shape() const = 0;
  virtual Shape3 output_shape() const = 0;
  virtual int64_t input_max_abs() const = 0;
  // How the op's segment input is stored: as that many bit planes (> 0, see
  // c_packed_input_planes), and whether it is the raw image.
  virtual int input_bit_planes() const = 0;
  virtual bool input_is_image() const = 0;
  // `{.kind = <kind>, .out = {...}, .params = <params>}`: one entry of a segment's op table.
  std::string op_entry(const char* kind, const std::string& params_ref) const;
};

// The op's entry in a segment's op table; throws ifq::Error for an op the
// C runtime cannot run.
std::string emit_int_op_c(const IntOp& op, CEmitter& e);

// The bit planes the C runtime stores a tensor as when `consumer` (the conv
// or fc that reads it) takes it as input with values in `input`: the level
// bits when the input is levels and the consumer has binary weights read
// once (input_repeat 1) with a proven 32-bit accumulator, so its popcount
// kernel sums 32 channels per word; 0 otherwise (bytes or wider).
int c_packed_input_planes(const IntOp& consumer, ValueRange input);

// C literals that survive -Wall -pedantic for every int32 / int64 value.
std::string c_int32(int64_t v);
std::string c_int64(int64_t v);
std::string c_shape(const Shape3& s);  // {.c = .., .h = .., .w = ..}

template <class T, class Format>
std::vector<std::string> c_literals(const std::vector<T>& values, Format format) {
  std::vector<std::string> out;
  out.reserve(values.size());
  for (const T& v : values) out.push_back(format(v));
  return out;
}

}  // namespace ifq
