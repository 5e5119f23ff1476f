// The reference integer runtime. Scalar and plain on purpose: this file is
// the executable specification of every integer op (int_model.hpp), and the
// fast kernels and the C export are tested against it. Only integer
// arithmetic; right shifts of negative values are arithmetic (floor), as
// C++20 defines them.
#include "ifq/runtime.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include "core/overloaded.hpp"
#include "ifq/error.hpp"

namespace ifq {
namespace {

int32_t saturate32(int64_t v) {
  return int32_t(std::clamp<int64_t>(v, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()));
}

// Accumulation wraps modulo 2^64 (unsigned arithmetic) so a hostile model
// file cannot cause undefined behaviour; converter-produced models stay far
// inside int64 (the converter proves the int32 bound for levels/pixels).
int64_t dot_wrapping(const int32_t* w, const int32_t* x, size_t n) {
  uint64_t acc = 0;
  for (size_t i = 0; i < n; ++i) acc += uint64_t(int64_t(w[i]) * int64_t(x[i]));
  return int64_t(acc);
}

IntTensor conv(const IntConvOp& op, const IntTensor& in, const Shape3& out_shape) {
  IntTensor out{out_shape, std::vector<int32_t>(size_t(out_shape.elements()))};
  const int k = op.kernel;
  std::vector<int32_t> patch(size_t(in.shape.c) * k * k);
  for (int oy = 0; oy < out_shape.h; ++oy)
    for (int ox = 0; ox < out_shape.w; ++ox) {
      // Gather the receptive field; zero outside the input (zero padding).
      size_t p = 0;
      for (int c = 0; c < in.shape.c; ++c)
        for (int ky = 0; ky < k; ++ky)
          for (int kx = 0; kx < k; ++kx) {
            const int iy = oy * op.stride - op.pad + ky, ix = ox * op.stride - op.pad + kx;
            const bool inside = iy >= 0 && iy < in.shape.h && ix >= 0 && ix < in.shape.w;
            patch[p++] = inside ? in.data[(size_t(c) * in.shape.h + iy) * in.shape.w + ix] : 0;
          }
      for (int o = 0; o < op.out_channels; ++o) {
        const int64_t acc = dot_wrapping(&op.weight[size_t(o) * patch.size()], patch.data(), patch.size());
        out.data[(size_t(o) * out_shape.h + oy) * out_shape.w + ox] = saturate32(acc >> op.acc_shift);
      }
    }
  return out;
}

IntTensor fc(const IntFcOp& op, const IntTensor& in, const Shape3& out_shape) {
  IntTensor out{out_shape, std::vector<int32_t>(size_t(op.out_features))};
  for (int o = 0; o < op.out_features; ++o) {
    const int64_t acc = dot_wrapping(&op.weight[size_t(o) * op.in_features], in.data.data(), size_t(op.in_features));
    out.data[size_t(o)] = saturate32(acc >> op.acc_shift);
  }
  return out;
}

// Darknet geometry: window origin out*stride - pad/2; outside positions skipped.
IntTensor maxpool(const IntMaxPoolOp& op, const IntTensor& in, const Shape3& out_shape) {
  IntTensor out{out_shape, std::vector<int32_t>(size_t(out_shape.elements()))};
  const int offset = op.pad / 2;
  for (int c = 0; c < out_shape.c; ++c) {
    const bool use_min = !op.take_min.empty() && op.take_min[size_t(c)];
    for (int oy = 0; oy < out_shape.h; ++oy)
      for (int ox = 0; ox < out_shape.w; ++ox) {
        int32_t best = use_min ? std::numeric_limits<int32_t>::max() : std::numeric_limits<int32_t>::min();
        for (int ky = 0; ky < op.size; ++ky)
          for (int kx = 0; kx < op.size; ++kx) {
            const int iy = oy * op.stride - offset + ky, ix = ox * op.stride - offset + kx;
            if (iy < 0 || iy >= in.shape.h || ix < 0 || ix >= in.shape.w) continue;
            const int32_t v = in.data[(size_t(c) * in.shape.h + iy) * in.shape.w + ix];
            best = use_min ? std::min(best, v) : std::max(best, v);
          }
        out.data[(size_t(c) * out_shape.h + oy) * out_shape.w + ox] = best;
      }
  }
  return out;
}

template <class PerValue>
IntTensor per_channel(const IntTensor& in, PerValue f) {
  IntTensor out{in.shape, std::vector<int32_t>(in.data.size())};
  const size_t plane = size_t(in.shape.h) * in.shape.w;
  for (size_t i = 0; i < in.data.size(); ++i) out.data[i] = f(i / plane, in.data[i]);
  return out;
}

}  // namespace

IntTensor apply_int_op(const IntOp& op, const IntTensor& in, const Shape3& out_shape) {
  return std::visit(
      Overloaded{
          [&](const IntInputOp&) -> IntTensor { throw Error("apply_int_op: the input op takes an image, use run()"); },
          [&](const IntConvOp& o) { return conv(o, in, out_shape); },
          [&](const IntFcOp& o) { return fc(o, in, out_shape); },
          [&](const IntMaxPoolOp& o) { return maxpool(o, in, out_shape); },
          [&](const IntThresholdOp& o) {
            const size_t n = (size_t(1) << o.bits) - 1;
            return per_channel(in, [&](size_t c, int32_t x) {
              const int32_t* t = &o.thresholds[c * n];
              int32_t level = 0;
              for (size_t i = 0; i < n; ++i) level += x > t[i];
              return level;
            });
          },
          [&](const IntRequantOp& o) {
            return per_channel(in, [&](size_t c, int32_t x) {
              return saturate32(((int64_t(x) * o.multiplier[c]) >> o.shift) + o.bias[c]);
            });
          },
          [&](const IntBatchNormOp& o) {
            return per_channel(in, [&](size_t c, int32_t y) {
              return saturate32((((int64_t(y) - o.mean[c]) * o.scale[c]) >> o.shift) + o.beta[c]);
            });
          },
          [&](const IntQuantOp& o) {
            return per_channel(in, [&](size_t, int32_t z) {
              int32_t level = 0;
              for (int64_t t : o.thresholds) level += int64_t(z) > t;
              return level;
            });
          },
          [&](const IntReluOp&) { return per_channel(in, [](size_t, int32_t z) { return std::max(z, 0); }); },
          [&](const IntLeakyOp& o) {
            return per_channel(in, [&](size_t, int32_t z) {
              return z < 0 ? saturate32((int64_t(z) * o.multiplier) >> o.shift) : z;
            });
          },
      },
      op);
}

ReferenceRuntime::ReferenceRuntime(IntModel model) : model_(std::move(model)), shapes_(infer_int_shapes(model_)) {}

int64_t ReferenceRuntime::arena_bytes() const {
  // run() keeps one op's input and output alive at a time (int32 each), plus
  // the uint8 image while the input op runs.
  int64_t peak = shapes_[0].elements() * int64_t(1 + sizeof(int32_t));
  for (size_t i = 1; i < shapes_.size(); ++i)
    peak = std::max(peak, (shapes_[i - 1].elements() + shapes_[i].elements()) * int64_t(sizeof(int32_t)));
  return peak;
}

IntTensor ReferenceRuntime::run(const std::vector<uint8_t>& image) {
  const auto& input = std::get<IntInputOp>(model_.ops[0]);
  if (image.size() != size_t(input.shape.elements()))
    throw Error("run: image has " + std::to_string(image.size()) + " bytes, the model expects " + input.shape.str() +
                " (" + std::to_string(input.shape.elements()) + ")");
  IntTensor x{input.shape, std::vector<int32_t>(image.size())};
  const size_t plane = size_t(input.shape.h) * input.shape.w;
  for (size_t i = 0; i < image.size(); ++i) x.data[i] = int32_t(image[i]) - input.mean[i / plane];
  recorded_.clear();
  if (record_) recorded_.push_back(x);
  return run_range(x, 1, int(model_.ops.size()));
}

IntTensor ReferenceRuntime::run_range(const IntTensor& input, int begin, int end) {
  if (begin < 1 || end > int(model_.ops.size()) || begin > end)
    throw Error("run_range: bad op range [" + std::to_string(begin) + ", " + std::to_string(end) + ")");
  if (!(input.shape == shapes_[size_t(begin) - 1]) || input.data.size() != size_t(input.shape.elements()))
    throw Error("run_range: input shape " + input.shape.str() + " but op " + std::to_string(begin) + " expects " +
                shapes_[size_t(begin) - 1].str());
  IntTensor x = input;
  for (int i = begin; i < end; ++i) {
    x = apply_int_op(model_.ops[size_t(i)], x, shapes_[size_t(i)]);
    if (record_) recorded_.push_back(x);
  }
  return x;
}

}  // namespace ifq
