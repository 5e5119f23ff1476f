#include "ifq/int_model.hpp"

#include <string>

#include "core/input_size.hpp"
#include "core/overloaded.hpp"
#include "ifq/error.hpp"
#include "ifq/limits.hpp"

namespace ifq {
namespace {

[[noreturn]] void fail(size_t index, const IntOp& op, const std::string& what) {
  throw Error("integer op " + std::to_string(index) + " (" + int_op_name(op) + "): " + what);
}

void require(bool ok, size_t index, const IntOp& op, const std::string& what) {
  if (!ok) fail(index, op, what);
}

void check_weight_values(size_t i, const IntOp& op, const std::vector<int32_t>& w, int bits) {
  require(bits >= 1 && bits <= 24, i, op, "weight_bits must be 1..24");
  const int64_t lim = int64_t(1) << (bits - 1);
  for (int32_t v : w) {
    if (bits == 1)
      require(v == 1 || v == -1, i, op, "binary weights must be -1 or +1");
    else
      require(v >= -lim && v < lim, i, op, "weight " + std::to_string(v) + " exceeds weight_bits");
  }
}

}  // namespace

const char* int_op_name(const IntOp& op) {
  return std::visit(Overloaded{
                        [](const IntInputOp&) { return "input"; },
                        [](const IntConvOp&) { return "conv"; },
                        [](const IntFcOp&) { return "fc"; },
                        [](const IntMaxPoolOp&) { return "maxpool"; },
                        [](const IntThresholdOp&) { return "threshold"; },
                        [](const IntRequantOp&) { return "requant"; },
                        [](const IntBatchNormOp&) { return "batchnorm"; },
                        [](const IntQuantOp&) { return "quant"; },
                        [](const IntReluOp&) { return "relu"; },
                        [](const IntLeakyOp&) { return "leaky"; },
                    },
                    op);
}

Shape3 validate_int_op(size_t i, const IntOp& op, Shape3 cur) {
    require((i == 0) == std::holds_alternative<IntInputOp>(op), i, op,
            i == 0 ? "the first op must be an input op" : "only op 0 may be an input");
    auto per_channel = [&](size_t n, const char* what) {
      require(n == size_t(cur.c), i, op,
              std::string(what) + " has " + std::to_string(n) + " values, expected " +
                  std::to_string(cur.c));
    };
    std::visit(
        Overloaded{
            [&](const IntInputOp& o) {
              require(o.shape.c > 0 && o.shape.h > 0 && o.shape.w > 0 && o.shape.c <= limits::kMaxInputChannels &&
                          o.shape.h <= limits::kMaxInputSide && o.shape.w <= limits::kMaxInputSide,
                      i, op, "bad input shape " + o.shape.str());
              cur = o.shape;
              per_channel(o.mean.size(), "mean");
              for (int32_t m : o.mean) require(m >= 0 && m <= 255, i, op, "mean must be 0..255");
            },
            [&](const IntConvOp& o) {
              require(o.in_channels == cur.c, i, op,
                      "in_channels " + std::to_string(o.in_channels) + " but input has " +
                          std::to_string(cur.c));
              require(o.out_channels > 0 && o.out_channels <= limits::kMaxChannels && o.kernel > 0 &&
                          o.kernel <= limits::kMaxWindow && o.stride > 0 && o.stride <= limits::kMaxStride &&
                          o.pad >= 0 && o.pad < o.kernel + limits::kMaxPadBeyondWindow,
                      i, op, "bad geometry");
              require(o.acc_shift >= 0 && o.acc_shift <= 62, i, op, "acc_shift must be 0..62");
              require(cur.h + 2 * o.pad >= o.kernel && cur.w + 2 * o.pad >= o.kernel, i, op,
                      "kernel larger than padded input");
              require(o.weight.size() == size_t(o.out_channels) * o.in_channels * o.kernel * o.kernel, i,
                      op, "weight count does not match the geometry");
              check_weight_values(i, op, o.weight, o.weight_bits);
              cur = {o.out_channels, conv_out_size(cur.h, o.kernel, o.stride, o.pad),
                     conv_out_size(cur.w, o.kernel, o.stride, o.pad)};
            },
            [&](const IntFcOp& o) {
              require(o.in_features == cur.elements(), i, op,
                      "in_features " + std::to_string(o.in_features) + " but input has " +
                          std::to_string(cur.elements()));
              require(o.out_features > 0 && o.out_features <= limits::kMaxFeatures, i, op, "bad out_features");
              require(o.acc_shift >= 0 && o.acc_shift <= 62, i, op, "acc_shift must be 0..62");
              require(o.weight.size() == size_t(o.out_features) * size_t(o.in_features), i, op,
                      "weight count does not match the geometry");
              check_weight_values(i, op, o.weight, o.weight_bits);
              cur = {o.out_features, 1, 1};
            },
            [&](const IntMaxPoolOp& o) {
              require(o.size > 0 && o.size <= limits::kMaxWindow && o.stride > 0 && o.stride <= limits::kMaxStride &&
                          o.pad >= 0 && o.pad < o.size + o.stride,
                      i, op, "bad geometry");
              require(cur.h + o.pad >= o.size && cur.w + o.pad >= o.size, i, op, "window larger than input");
              if (!o.take_min.empty()) per_channel(o.take_min.size(), "take_min");
              cur = {cur.c, pool_out_size(cur.h, o.size, o.stride, o.pad),
                     pool_out_size(cur.w, o.size, o.stride, o.pad)};
            },
            [&](const IntThresholdOp& o) {
              require(o.bits >= 1 && o.bits <= 8, i, op, "bits must be 1..8");
              require(o.channels == cur.c, i, op, "channel count differs from input");
              const size_t n = (size_t(1) << o.bits) - 1;
              require(o.thresholds.size() == n * size_t(o.channels), i, op, "threshold count mismatch");
              for (size_t c = 0; c < size_t(o.channels); ++c)
                for (size_t t = 1; t < n; ++t)
                  require(o.thresholds[c * n + t - 1] <= o.thresholds[c * n + t], i, op,
                          "thresholds of channel " + std::to_string(c) + " not ascending");
            },
            [&](const IntRequantOp& o) {
              require(o.shift >= 0 && o.shift <= 62 && o.frac_bits >= 0 && o.frac_bits <= 30, i, op,
                      "shift/frac_bits out of range");
              per_channel(o.multiplier.size(), "multiplier");
              per_channel(o.bias.size(), "bias");
              // Keeps x * multiplier inside int64 for any int32 x.
              for (size_t c = 0; c < o.multiplier.size(); ++c)
                require(o.multiplier[c] > -(int64_t(1) << 32) && o.multiplier[c] < (int64_t(1) << 32) &&
                            o.bias[c] > INT32_MIN && o.bias[c] < INT32_MAX,
                        i, op, "multiplier or bias out of range");
            },
            [&](const IntBatchNormOp& o) {
              require(o.shift >= 0 && o.shift <= 62, i, op, "shift out of range");
              per_channel(o.mean.size(), "mean");
              per_channel(o.scale.size(), "scale");
              per_channel(o.beta.size(), "beta");
              // Keeps (y - mean) * scale inside int64: |y - mean| < 2^32, |scale| < 2^31.
              for (size_t c = 0; c < o.scale.size(); ++c)
                require(o.scale[c] > INT32_MIN && o.scale[c] < INT32_MAX && o.mean[c] > INT32_MIN &&
                            o.mean[c] < INT32_MAX && o.beta[c] > INT32_MIN && o.beta[c] < INT32_MAX,
                        i, op, "parameters must lie inside the int32 range");
            },
            [&](const IntQuantOp& o) {
              require(o.bits >= 1 && o.bits <= 8, i, op, "bits must be 1..8");
              require(o.thresholds.size() == (size_t(1) << o.bits) - 1, i, op, "threshold count mismatch");
              for (size_t t = 1; t < o.thresholds.size(); ++t)
                require(o.thresholds[t - 1] <= o.thresholds[t], i, op, "thresholds not ascending");
            },
            [&](const IntReluOp&) {},
            [&](const IntLeakyOp& o) {
              require(o.shift >= 0 && o.shift <= 62, i, op, "shift out of range");
              require(o.multiplier >= 0 && o.multiplier < (int64_t(1) << 31), i, op, "bad multiplier");
            },
        },
        op);
    require(cur.elements() > 0 && cur.elements() <= (int64_t(1) << 31), i, op,
            "output shape " + cur.str() + " is empty or too large");
    return cur;
}

std::vector<Shape3> infer_int_shapes(const IntModel& model) {
  if (model.ops.empty()) throw Error("integer model '" + model.name + "' has no ops");
  std::vector<Shape3> shapes;
  Shape3 cur{};
  for (size_t i = 0; i < model.ops.size(); ++i) shapes.push_back(cur = validate_int_op(i, model.ops[i], cur));
  return shapes;
}

IntModel with_input_size(IntModel model, int height, int width) {
  if (model.ops.empty() || !std::holds_alternative<IntInputOp>(model.ops[0]))
    throw Error("integer model '" + model.name + "' does not start with an input op");
  return core_detail::moved_to_input_size(
      std::move(model), height, width, [](IntModel& m) -> Shape3& { return std::get<IntInputOp>(m.ops[0]).shape; },
      [](const IntModel& m) { infer_int_shapes(m); });
}

}  // namespace ifq
