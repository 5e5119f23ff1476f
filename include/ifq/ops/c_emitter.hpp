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
  // `{.kind = <kind>, .out = {...}, .params = <params>}`: one entry of a segment's op table.
  std::string op_entry(const char* kind, const std::string& params_ref) const;
};

// The op's entry in a segment's op table; throws ifq::Error for an op the
// C runtime cannot run.
std::string emit_int_op_c(const IntOp& op, CEmitter& e);

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
