// Input, pointwise and reference stages of the fast runtime.
#include <cstring>

#include "fast_stage_types.hpp"

namespace ifq::fast {

InputStage::InputStage(const IntInputOp& op) : mean_(op.mean) {
  info.kind = "input";
  info.variant = "input";
}

void InputStage::run(const StageRun& r) {
  const Shape3 sh = out_shape;
  if (r.out->fmt == BufFmt::Pix16) {
    const int p = r.out->pix_pad, ph = sh.h + 2 * p, pw = sh.w + 2 * p;
    auto* d = reinterpret_cast<int16_t*>(r.dst);
    // Zero only the border (the arena is reused, so it must be written every
    // run); the interior is overwritten. Clearing the whole padded plane cost
    // a megabyte of stores per 416x416 image.
    for (int c = 0; c < sh.c; ++c) {
      int16_t* plane = d + int64_t(c) * ph * pw;
      std::memset(plane, 0, size_t(p) * pw * 2);
      std::memset(plane + int64_t(p + sh.h) * pw, 0, size_t(p) * pw * 2);
      const int16_t mean = int16_t(mean_[size_t(c)]);
      for (int y = 0; y < sh.h; ++y) {
        const uint8_t* in = r.image + (int64_t(c) * sh.h + y) * sh.w;
        int16_t* row = plane + int64_t(y + p) * pw;
        std::memset(row, 0, size_t(p) * 2);
        std::memset(row + p + sh.w, 0, size_t(pw - p - sh.w) * 2);
        for (int x = 0; x < sh.w; ++x) row[p + x] = int16_t(int16_t(in[x]) - mean);
      }
    }
    return;
  }
  auto* d = reinterpret_cast<int32_t*>(r.dst);
  const int64_t n = int64_t(sh.h) * sh.w;
  for (int c = 0; c < sh.c; ++c)
    for (int64_t k = 0; k < n; ++k) d[c * n + k] = int32_t(r.image[c * n + k]) - mean_[size_t(c)];
}

PointwiseStage::PointwiseStage(const IntModel& model) : model_(model) {
  info.kind = "pointwise";
  info.variant = "pointwise";
}

void PointwiseStage::run(const StageRun& r) {
  const auto* in = reinterpret_cast<const int32_t*>(r.src);
  auto* o = reinterpret_cast<int32_t*>(r.dst);
  const int64_t plane = int64_t(out_shape.h) * out_shape.w;
  for (int64_t k = 0; k < out_shape.elements(); ++k) {
    int32_t v = in[k];
    for (int op = info.op_begin; op < info.op_end; ++op) v = apply_pointwise(model_.ops[size_t(op)], size_t(k / plane), v);
    o[k] = v;
  }
}

ReferenceStage::ReferenceStage(const IntModel& model, const std::vector<Shape3>& shapes, int op)
    : model_(model), shapes_(shapes) {
  info.kind = "reference";
  info.variant = std::string("reference_") + int_op_name(model.ops[size_t(op)]);
}

void ReferenceStage::run(const StageRun& r) {
  IntTensor t;
  t.shape = r.in->shape;
  const auto* p = reinterpret_cast<const int32_t*>(r.src);
  t.data.assign(p, p + r.in->shape.elements());
  for (int op = info.op_begin; op < info.op_end; ++op) t = apply_int_op(model_.ops[size_t(op)], t, shapes_[size_t(op)]);
  std::memcpy(r.dst, t.data.data(), t.data.size() * 4);
}

}  // namespace ifq::fast
