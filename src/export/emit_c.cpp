// Emits NAME_model.c / NAME_model.h: const parameter arrays and the op,
// segment and tensor tables the ifq_micro runtime interprets.
#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <variant>

#include "ifq/error.hpp"
#include "ifq/export_c.hpp"

namespace ifq {
namespace {

std::string c_i32(int64_t v) {
  if (v == INT32_MIN) return "(-2147483647 - 1)";
  return std::to_string(v);
}

std::string c_i64(int64_t v) {
  if (v == INT64_MIN) return "(-INT64_C(9223372036854775807) - 1)";
  return "INT64_C(" + std::to_string(v) + ")";
}

std::string upper(const std::string& s) {
  std::string u = s;
  for (char& ch : u) ch = char(std::toupper(static_cast<unsigned char>(ch)));
  return u;
}

void check_name(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 64 &&
            (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_');
  for (char ch : name) ok = ok && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_');
  if (!ok)
    throw Error("export-c: name '" + name +
                "' is not a C identifier (letters, digits, '_', not starting with a digit, at most 64)");
  // The runtime owns the ifq prefix (ifq_model is its type name).
  std::string lower = name.substr(0, 3);
  for (char& ch : lower) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  if (lower == "ifq")
    throw Error("export-c: name '" + name + "' must not start with 'ifq' (reserved for the ifq_micro runtime)");
}

// Writes const arrays and counts their bytes.
class Emitter {
 public:
  explicit Emitter(std::string prefix) : prefix_(std::move(prefix)) {}

  template <typename T, typename Fmt>
  std::string array(const std::string& suffix, const char* ctype, const std::vector<T>& values,
                    int elem_bytes, Fmt fmt) {
    const std::string sym = prefix_ + "_" + suffix;
    out_ << "static const " << ctype << " " << sym << "[" << values.size() << "] IFQ_ALIGN = {";
    for (size_t i = 0; i < values.size(); ++i) {
      if (i % 16 == 0) out_ << "\n ";
      out_ << " " << fmt(values[i]) << ",";
    }
    out_ << "\n};\n";
    bytes_ += int64_t(values.size()) * elem_bytes;
    return sym;
  }

  std::ostringstream& out() { return out_; }
  int64_t bytes() const { return bytes_; }
  const std::string& prefix() const { return prefix_; }

 private:
  std::string prefix_;
  std::ostringstream out_;
  int64_t bytes_ = 0;
};

struct WeightSource {
  const std::vector<int32_t>* weight;
  int weight_bits;
  int acc_shift;
};

// Emits the weights in the narrowest storage; returns {format macro, symbol}.
std::pair<std::string, std::string> emit_weights(Emitter& e, const std::string& id, const WeightSource& w) {
  if (w.weight_bits == 1) {
    // One bit per weight, LSB first: bit j of the flat index in byte j / 8.
    std::vector<uint8_t> packed((w.weight->size() + 7) / 8, 0);
    for (size_t j = 0; j < w.weight->size(); ++j)
      if ((*w.weight)[j] > 0) packed[j / 8] |= uint8_t(1u << (j % 8));
    auto sym = e.array(id + "_w", "uint8_t", packed, 1, [](uint8_t v) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "0x%02x", v);
      return std::string(buf);
    });
    return {"IFQ_WEIGHT_BIT", sym};
  }
  int32_t lo = 0, hi = 0;
  for (int32_t v : *w.weight) lo = std::min(lo, v), hi = std::max(hi, v);
  auto fmt = [](int32_t v) { return c_i32(v); };
  if (lo >= INT8_MIN && hi <= INT8_MAX)
    return {"IFQ_WEIGHT_I8", e.array(id + "_w", "int8_t", *w.weight, 1, fmt)};
  if (lo >= INT16_MIN && hi <= INT16_MAX)
    return {"IFQ_WEIGHT_I16", e.array(id + "_w", "int16_t", *w.weight, 2, fmt)};
  return {"IFQ_WEIGHT_I32", e.array(id + "_w", "int32_t", *w.weight, 4, fmt)};
}

// |acc| <= max|input| * max_o sum|w[o]|: when that bound fits int32 (and no
// shift is applied) the runtime may sum in 32 bits with the same result.
bool accumulator_fits_int32(const WeightSource& w, int out_channels, const StoredTensor& in) {
  if (w.acc_shift != 0) return false;
  const int64_t max_in = std::max(std::llabs(in.lo), std::llabs(in.hi));
  const size_t per_out = w.weight->size() / size_t(out_channels);
  int64_t max_sum = 0;
  for (int o = 0; o < out_channels; ++o) {
    int64_t sum = 0;
    for (size_t j = 0; j < per_out; ++j) sum += std::llabs((*w.weight)[size_t(o) * per_out + j]);
    max_sum = std::max(max_sum, sum);
  }
  return max_sum == 0 || max_in <= int64_t(INT32_MAX) / max_sum;
}

const char* elem_macro(StoredElem elem) {
  switch (elem) {
    case StoredElem::U8: return "IFQ_ELEM_U8";
    case StoredElem::I8: return "IFQ_ELEM_I8";
    case StoredElem::I16: return "IFQ_ELEM_I16";
    case StoredElem::I32: return "IFQ_ELEM_I32";
  }
  return "IFQ_ELEM_I32";
}

std::string shape_init(const Shape3& s) {
  std::ostringstream o;
  o << "{" << s.c << ", " << s.h << ", " << s.w << "}";
  return o.str();
}

// Emits op `index`'s parameters; returns the "{kind, shape, params}" initializer.
std::string emit_op(Emitter& e, const IntModel& model, const std::vector<Shape3>& shapes, int index,
                    const StoredTensor& seg_input) {
  const IntOp& op = model.ops[size_t(index)];
  const std::string id = "op" + std::to_string(index);
  const std::string sym = e.prefix() + "_" + id;
  auto& out = e.out();
  const std::string shape = shape_init(shapes[size_t(index)]);
  auto i64 = [](int64_t v) { return c_i64(v); };
  auto i32 = [](int32_t v) { return c_i32(v); };

  if (std::holds_alternative<IntInputOp>(op)) return "{IFQ_OP_INPUT, " + shape + ", NULL}";
  if (const auto* c = std::get_if<IntConvOp>(&op)) {
    WeightSource w{&c->weight, c->weight_bits, c->acc_shift};
    auto [fmt, wsym] = emit_weights(e, id, w);
    out << "static const ifq_conv_params " << sym << " = {" << c->kernel << ", " << c->kernel << ", "
        << c->stride << ", " << c->pad << ", " << c->acc_shift << ", " << fmt << ", "
        << (accumulator_fits_int32(w, c->out_channels, seg_input) ? 1 : 0) << ", " << wsym << "};\n";
    return "{IFQ_OP_CONV, " + shape + ", &" + sym + "}";
  }
  if (const auto* f = std::get_if<IntFcOp>(&op)) {
    // Flattened CHW input: weight [o][(c*H + y)*W + x] is a conv whose
    // kernel covers the whole input.
    const Shape3& in = shapes[size_t(index - 1)];
    WeightSource w{&f->weight, f->weight_bits, f->acc_shift};
    auto [fmt, wsym] = emit_weights(e, id, w);
    out << "static const ifq_conv_params " << sym << " = {" << in.h << ", " << in.w << ", 1, 0, "
        << f->acc_shift << ", " << fmt << ", "
        << (accumulator_fits_int32(w, f->out_features, seg_input) ? 1 : 0) << ", " << wsym << "};\n";
    return "{IFQ_OP_CONV, " + shape + ", &" + sym + "}";
  }
  if (const auto* p = std::get_if<IntMaxPoolOp>(&op)) {
    std::string take_min = "NULL";
    if (std::any_of(p->take_min.begin(), p->take_min.end(), [](uint8_t v) { return v != 0; })) {
      std::vector<int32_t> flags(p->take_min.begin(), p->take_min.end());
      for (auto& v : flags) v = v != 0;
      std::vector<uint8_t> bytes(flags.begin(), flags.end());
      take_min = e.array(id + "_min", "uint8_t", bytes, 1, [](uint8_t v) { return std::to_string(v); });
    }
    out << "static const ifq_pool_params " << sym << " = {" << p->size << ", " << p->stride << ", "
        << p->pad << ", " << take_min << "};\n";
    return "{IFQ_OP_MAXPOOL, " + shape + ", &" + sym + "}";
  }
  if (const auto* t = std::get_if<IntThresholdOp>(&op)) {
    auto tsym = e.array(id + "_t", "int32_t", t->thresholds, 4, i32);
    out << "static const ifq_threshold_params " << sym << " = {" << ((1 << t->bits) - 1) << ", " << tsym
        << "};\n";
    return "{IFQ_OP_THRESHOLD, " + shape + ", &" + sym + "}";
  }
  if (const auto* r = std::get_if<IntRequantOp>(&op)) {
    auto m = e.array(id + "_mul", "int64_t", r->multiplier, 8, i64);
    auto b = e.array(id + "_bias", "int64_t", r->bias, 8, i64);
    out << "static const ifq_requant_params " << sym << " = {" << r->shift << ", " << m << ", " << b
        << "};\n";
    return "{IFQ_OP_REQUANT, " + shape + ", &" + sym + "}";
  }
  if (const auto* b = std::get_if<IntBatchNormOp>(&op)) {
    auto mean = e.array(id + "_mean", "int64_t", b->mean, 8, i64);
    auto scale = e.array(id + "_scale", "int64_t", b->scale, 8, i64);
    auto beta = e.array(id + "_beta", "int64_t", b->beta, 8, i64);
    out << "static const ifq_batchnorm_params " << sym << " = {" << b->shift << ", " << mean << ", "
        << scale << ", " << beta << "};\n";
    return "{IFQ_OP_BATCHNORM, " + shape + ", &" + sym + "}";
  }
  if (const auto* q = std::get_if<IntQuantOp>(&op)) {
    auto tsym = e.array(id + "_t", "int64_t", q->thresholds, 8, i64);
    out << "static const ifq_quant_params " << sym << " = {" << ((1 << q->bits) - 1) << ", " << tsym
        << "};\n";
    return "{IFQ_OP_QUANT, " + shape + ", &" + sym + "}";
  }
  if (std::holds_alternative<IntReluOp>(op)) return "{IFQ_OP_RELU, " + shape + ", NULL}";
  if (const auto* l = std::get_if<IntLeakyOp>(&op)) {
    out << "static const ifq_leaky_params " << sym << " = {" << l->shift << ", " << c_i64(l->multiplier)
        << "};\n";
    return "{IFQ_OP_LEAKY, " + shape + ", &" + sym + "}";
  }
  throw Error("export-c: op " + std::to_string(index) + " (" + int_op_name(op) + ") is not supported");
}

}  // namespace

ExportedC export_c(const IntModel& model, const ExportCOptions& options) {
  check_name(options.name);
  ExportedC result;
  result.name = options.name;
  result.plan = plan_export(model);
  const ExportPlan& plan = result.plan;
  const std::vector<Shape3> shapes = infer_int_shapes(model);
  const std::string& n = options.name;
  const std::string N = upper(n);
  const auto& input = std::get<IntInputOp>(model.ops[0]);
  const StoredTensor& output = plan.tensors.back();

  Emitter e(n);
  auto& c = e.out();
  c << "/* Generated by `ifq export-c` from model '" << model.name << "': " << model.ops.size()
    << " integer ops in " << plan.segments.size() << " segments, arena " << plan.arena_bytes
    << " bytes.\n * Do not edit; re-export instead. */\n";
  c << "#include \"" << n << "_model.h\"\n\n";

  auto mean_sym = e.array("input_mean", "int32_t", input.mean, 4, [](int32_t v) { return c_i32(v); });
  for (size_t s = 0; s < plan.segments.size(); ++s) {
    const ExportSegment& seg = plan.segments[s];
    std::vector<std::string> ops;
    // A segment reading a stored tensor starts with an identity read of it.
    if (seg.reads_stored)
      ops.push_back("{IFQ_OP_INPUT, " + shape_init(plan.tensors[size_t(seg.in)].shape) + ", NULL}");
    for (int i = seg.op_begin; i < seg.op_end; ++i)
      ops.push_back(emit_op(e, model, shapes, i, plan.tensors[size_t(seg.in)]));
    c << "static const ifq_op " << n << "_seg" << s << "_ops[" << ops.size() << "] = {\n";
    for (const auto& o : ops) c << "  " << o << ",\n";
    c << "};\n\n";
  }
  c << "static const ifq_tensor " << n << "_tensors[" << plan.tensors.size() << "] = {\n";
  for (size_t t = 0; t < plan.tensors.size(); ++t) {
    const StoredTensor& st = plan.tensors[t];
    c << "  {" << shape_init(st.shape) << ", " << elem_macro(st.elem) << ", " << st.offset << "u, "
      << (t == 0 ? mean_sym : std::string("NULL")) << "}, /* op " << st.op_index << ", "
      << stored_elem_name(st.elem) << ", " << st.bytes << " bytes */\n";
  }
  c << "};\n\n";
  c << "static const ifq_segment " << n << "_segments[" << plan.segments.size() << "] = {\n";
  for (size_t s = 0; s < plan.segments.size(); ++s) {
    const ExportSegment& seg = plan.segments[s];
    c << "  {" << n << "_seg" << s << "_ops, " << (seg.op_end - seg.op_begin + (seg.reads_stored ? 1 : 0)) << ", "
      << seg.in << ", "
      << seg.out << "}, /* ops " << seg.op_begin << ".." << seg.op_end - 1 << " */\n";
  }
  c << "};\n\n";
  c << "const ifq_model " << n << "_model = {IFQ_MICRO_ABI, " << n << "_segments, " << plan.segments.size()
    << ", " << n << "_tensors, " << plan.tensors.size() << ", " << plan.arena_bytes << "u};\n";
  result.model_c = c.str();
  result.parameter_bytes = e.bytes();

  std::ostringstream h;
  const IntOutputInfo& info = model.output;
  h << "/* Generated by `ifq export-c` from model '" << model.name << "'. Do not edit. */\n"
    << "#ifndef " << N << "_MODEL_H\n#define " << N << "_MODEL_H\n\n#include \"ifq_micro.h\"\n\n"
    << "/* Bytes of the arena ifq_run needs (image, feature maps and output). */\n"
    << "#define " << N << "_ARENA_BYTES " << plan.arena_bytes << "u\n"
    << "/* Input: uint8 image, CHW. */\n"
    << "#define " << N << "_INPUT_C " << input.shape.c << "\n"
    << "#define " << N << "_INPUT_H " << input.shape.h << "\n"
    << "#define " << N << "_INPUT_W " << input.shape.w << "\n"
    << "#define " << N << "_INPUT_BYTES " << input.shape.elements() << "u\n"
    << "/* Output: int32, CHW. Levels (0..2^bits-1) or fixed point with FRAC_BITS fractional bits. */\n"
    << "#define " << N << "_OUTPUT_C " << output.shape.c << "\n"
    << "#define " << N << "_OUTPUT_H " << output.shape.h << "\n"
    << "#define " << N << "_OUTPUT_W " << output.shape.w << "\n"
    << "#define " << N << "_OUTPUT_ELEMENTS " << output.shape.elements() << "u\n"
    << "#define " << N << "_OUTPUT_IS_LEVELS " << (info.is_levels ? 1 : 0) << "\n"
    << "#define " << N << "_OUTPUT_BITS " << info.bits << "\n"
    << "#define " << N << "_OUTPUT_FRAC_BITS " << info.frac_bits << "\n"
    << "#define " << N << "_SEGMENTS " << plan.segments.size() << "\n\n"
    << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
    << "extern const ifq_model " << n << "_model;\n\n"
    << "#ifdef __cplusplus\n}\n#endif\n\n#endif /* " << N << "_MODEL_H */\n";
  result.model_h = h.str();
  return result;
}

}  // namespace ifq
