#include "ifq/int_model.hpp"

#include <cmath>
#include <string>

#include "core/input_size.hpp"
#include "ifq/error.hpp"
#include "ifq/float_model.hpp"
#include "ops/op_definitions.hpp"

namespace ifq {

RegionInfo region_info(const RegionLayer& layer) {
  RegionInfo info;
  info.present = true;
  info.classes = layer.classes;
  info.num = layer.num;
  info.coords = layer.coords;
  info.anchors = layer.anchors;
  info.scale_x_y = layer.scale_x_y;
  return info;
}

namespace {

// Checks an op's stored fields against the limits its fields() declares.
// Read-only: it never writes through the references it is handed.
class LimitCheck final : public ops::OpFields {
 public:
  explicit LimitCheck(const ops::OpCheck& check) : c_(check) {}
  void attr(const char* key, int& v, int64_t lo, int64_t hi) override { in_range(key, v, lo, hi); }
  void attr(const char* key, int64_t& v, int64_t lo, int64_t hi) override { in_range(key, v, lo, hi); }
  void attr_list(const char* key, std::vector<int32_t>& v, size_t count, int64_t lo, int64_t hi) override {
    length(key, v.size(), count);
    for (int32_t x : v) in_range(key, x, lo, hi);
  }
  void tensor(const char* key, std::vector<int32_t>& v, size_t count) override { length(key, v.size(), count); }
  void tensor(const char* key, std::vector<int64_t>& v, size_t count, int64_t lo, int64_t hi) override {
    length(key, v.size(), count);
    for (int64_t x : v) in_range(key, x, lo, hi);
  }
  void weights(std::vector<int32_t>& v, int bits, size_t count) override {
    length("weight", v.size(), count);
    const int64_t lim = int64_t(1) << (bits - 1);
    for (int32_t w : v) {
      if (bits == 1)
        c_.require(w == 1 || w == -1, "binary weights must be -1 or +1");
      else
        c_.require(w >= -lim && w < lim, "weight " + std::to_string(w) + " exceeds weight_bits");
    }
  }
  void optional_flags(const char* key, std::vector<uint8_t>& v, size_t count) override {
    if (!v.empty()) length(key, v.size(), count);
  }
  void added_attr(const char* key, int& v, int64_t lo, int64_t hi, int) override { in_range(key, v, lo, hi); }
  void added_flags(const char* key, std::vector<uint8_t>& v, size_t count) override { optional_flags(key, v, count); }

 private:
  void in_range(const char* key, int64_t v, int64_t lo, int64_t hi) const {
    c_.require(v >= lo && v <= hi, std::string(key) + " " + std::to_string(v) + " outside " + std::to_string(lo) +
                                       ".." + std::to_string(hi));
  }
  void length(const char* key, size_t n, size_t expected) const {
    c_.require(n == expected, std::string(key) + " has " + std::to_string(n) + " values, expected " +
                                  std::to_string(expected));
  }
  const ops::OpCheck& c_;
};

}  // namespace

Shape3 validate_int_op(size_t i, const IntOp& op, Shape3 in) {
  const ops::OpCheck c(i, int_op_name(op));
  c.require((i == 0) == std::holds_alternative<IntInputOp>(op),
            i == 0 ? "the first op must be an input op" : "only op 0 may be an input");
  LimitCheck limits(c);
  ops::visit_fields(const_cast<IntOp&>(op), limits, in);
  const Shape3 out = std::visit([&](const auto& o) { return ops::check(o, in, c); }, op);
  c.require(out.elements() > 0 && out.elements() <= (int64_t(1) << 31),
            "output shape " + out.str() + " is empty or too large");
  return out;
}

std::vector<Shape3> infer_int_shapes(const IntModel& model) {
  if (model.ops.empty()) throw Error("integer model '" + model.name + "' has no ops");
  std::vector<Shape3> shapes;
  Shape3 cur{};
  for (size_t i = 0; i < model.ops.size(); ++i) shapes.push_back(cur = validate_int_op(i, model.ops[i], cur));
  return shapes;
}

void check_int_output_info(const IntModel& model) {
  const IntOutputInfo& o = model.output;
  const std::string where = "integer model '" + model.name + "': output entry ";
  ValueRange range;
  for (const IntOp& op : model.ops) range = int_op_output_range(op, range);
  if (o.is_levels) {
    if (range.level_bits() == 0 || range.level_bits() != o.bits)
      throw Error(where + "says levels of " + std::to_string(o.bits) + " bits, but the last op (" +
                  int_op_name(model.ops.back()) + ") produces " +
                  (range.level_bits() ? "levels of " + std::to_string(range.level_bits()) + " bits" : "no levels"));
    if (!(o.level_step > 0) || !std::isfinite(o.level_step))
      throw Error(where + "has level_step " + std::to_string(o.level_step) + " (must be positive)");
    return;
  }
  if (range.level_bits() != 0)
    throw Error(where + "says fixed point, but the last op (" + int_op_name(model.ops.back()) + ") produces levels");
  // The scale of a fixed-point output is set by the last requant; pools and
  // activations after it keep it.
  for (auto it = model.ops.rbegin(); it != model.ops.rend(); ++it) {
    if (const auto* r = std::get_if<IntRequantOp>(&*it)) {
      if (r->frac_bits != o.frac_bits)
        throw Error(where + "says " + std::to_string(o.frac_bits) + " fractional bits, the last requant gives " +
                    std::to_string(r->frac_bits));
      return;
    }
    if (!std::holds_alternative<IntMaxPoolOp>(*it) && !std::holds_alternative<IntReluOp>(*it) &&
        !std::holds_alternative<IntLeakyOp>(*it) && !std::holds_alternative<IntClampOp>(*it))
      return;
  }
}

IntModel with_input_size(IntModel model, int height, int width) {
  if (model.ops.empty() || !std::holds_alternative<IntInputOp>(model.ops[0]))
    throw Error("integer model '" + model.name + "' does not start with an input op");
  return core_detail::moved_to_input_size(
      std::move(model), height, width, [](IntModel& m) -> Shape3& { return std::get<IntInputOp>(m.ops[0]).shape; },
      [](const IntModel& m) { infer_int_shapes(m); });
}

}  // namespace ifq
