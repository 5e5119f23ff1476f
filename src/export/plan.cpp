// Segment and arena planning for the C export (see ifq_micro.h for the
// execution model this plan feeds).
#include <algorithm>
#include <climits>
#include <variant>

#include "ifq/error.hpp"
#include "ifq/export_c.hpp"
#include "ifq/ops/c_emitter.hpp"

namespace ifq {
namespace {

int64_t align8(int64_t v) { return (v + 7) / 8 * 8; }

bool starts_segment(const IntOp& op) {
  return std::holds_alternative<IntConvOp>(op) || std::holds_alternative<IntFcOp>(op);
}

int64_t elem_bytes(StoredElem elem) {
  switch (elem) {
    case StoredElem::U8:
    case StoredElem::I8: return 1;
    case StoredElem::I16: return 2;
    default: return 4;
  }
}

// Arena bytes of a stored tensor (ifq_micro.c's tensor_bytes).
int64_t stored_bytes(const StoredTensor& t) {
  if (t.elem != StoredElem::BitPlanes) return t.shape.elements() * elem_bytes(t.elem);
  return int64_t(t.shape.h) * t.shape.w * t.planes * ((t.shape.c + 31) / 32) * 4;
}

StoredElem narrowest(ValueRange r) {
  if (r.lo >= 0 && r.hi <= 255) return StoredElem::U8;
  if (r.lo >= -128 && r.hi <= 127) return StoredElem::I8;
  if (r.lo >= INT16_MIN && r.hi <= INT16_MAX) return StoredElem::I16;
  return StoredElem::I32;
}

// The scratch ifq_micro's pixel-at-a-time path needs between a segment's
// two tensors (ifq_micro.c, pixel_scratch): the sums of every stored filter
// at the up to 2x2 conv positions of an output pixel. Segments that path
// cannot run (no conv first, a larger or second max pool) need none.
int64_t pixel_scratch_bytes(const IntModel& model, const ExportSegment& seg) {
  if (seg.reads_stored) return 0;
  const IntOp& first = model.ops[size_t(seg.op_begin)];
  int64_t filters = 0, positions = 1;
  if (const auto* c = std::get_if<IntConvOp>(&first)) filters = c->stored_filters();
  else if (const auto* f = std::get_if<IntFcOp>(&first)) filters = f->out_features;
  else return 0;
  int pools = 0;
  for (int i = seg.op_begin + 1; i < seg.op_end; ++i)
    if (const auto* p = std::get_if<IntMaxPoolOp>(&model.ops[size_t(i)])) {
      if (++pools > 1 || p->size > 2) return 0;
      positions = int64_t(p->size) * p->size;
    }
  return 4 * positions * filters;
}

}  // namespace

const char* stored_elem_name(StoredElem elem) {
  switch (elem) {
    case StoredElem::U8: return "u8";
    case StoredElem::I8: return "i8";
    case StoredElem::I16: return "i16";
    case StoredElem::I32: return "i32";
    case StoredElem::BitPlanes: return "planes";
  }
  return "i32";
}

ExportPlan plan_export(const IntModel& model) {
  const std::vector<Shape3> shapes = infer_int_shapes(model);  // validates, throws ifq::Error
  const auto& input = std::get<IntInputOp>(model.ops[0]);
  const int n_ops = int(model.ops.size());

  ExportPlan plan;
  // The image is stored raw; reading it removes the mean, so the values a
  // consumer sees lie in [-max(mean), 255 - min(mean)].
  StoredTensor image;
  image.shape = input.shape;
  image.elem = StoredElem::U8;
  image.op_index = 0;
  image.bytes = stored_bytes(image);
  const ValueRange pixels = int_op_output_range(model.ops[0], {});
  image.lo = pixels.lo;
  image.hi = pixels.hi;
  plan.tensors.push_back(image);

  // Segments start at the image and at every conv/fc. A max pool whose
  // windows overlap (stride < size) also starts one: evaluated on demand it
  // would recompute each input element up to size^2 / stride^2 times, so its
  // input is stored instead (levels as bytes: small).
  std::vector<int> starts{0};
  for (int i = 1; i < n_ops; ++i) {
    const auto* pool = std::get_if<IntMaxPoolOp>(&model.ops[i]);
    const bool overlapping_pool = pool && pool->stride < pool->size && starts.back() != i - 1 &&
                                  !std::holds_alternative<IntInputOp>(model.ops[i - 1]);
    if (starts_segment(model.ops[i]) || overlapping_pool) starts.push_back(i);
  }

  for (size_t s = 0; s < starts.size(); ++s) {
    const int begin = starts[s];
    const int end = s + 1 < starts.size() ? starts[s + 1] : n_ops;
    // A lone input op needs no copy: the first conv reads the raw image.
    if (begin == 0 && end == 1 && n_ops > 1) continue;
    const bool reads_stored = begin > 0 && !starts_segment(model.ops[begin]);
    // Only ranges the C runtime relies on (levels, ReLU, pooling) narrow;
    // everything else is the whole int32 range the reference saturates to.
    ValueRange r = begin == 0 ? pixels
                   : reads_stored ? ValueRange{plan.tensors.back().lo, plan.tensors.back().hi}
                                  : kFullInt32Range;
    for (int i = reads_stored ? begin : begin + 1; i < end; ++i) r = int_op_output_range(model.ops[i], r);
    const bool last = end == n_ops;
    StoredTensor t;
    t.shape = shapes[end - 1];
    // The caller reads the network output as int32, whatever its range. The
    // next segment starts at op `end`; a binary conv there reads bit planes.
    t.planes = last || !starts_segment(model.ops[end]) ? 0 : c_packed_input_planes(model.ops[end], r);
    t.elem = last ? StoredElem::I32 : t.planes > 0 ? StoredElem::BitPlanes : narrowest(r);
    t.op_index = end - 1;
    t.bytes = stored_bytes(t);
    t.lo = last ? INT32_MIN : r.lo;
    t.hi = last ? INT32_MAX : r.hi;
    ExportSegment seg;
    seg.op_begin = begin;
    seg.op_end = end;
    seg.reads_stored = reads_stored;
    seg.in = int(plan.tensors.size()) - 1;
    seg.out = int(plan.tensors.size());
    plan.tensors.push_back(t);
    plan.segments.push_back(seg);
    plan.max_segment_ops = std::max(plan.max_segment_ops, end - begin + (reads_stored ? 1 : 0));
  }

  // Ping-pong: segment i reads tensor i and writes tensor i+1, so only two
  // neighbours are ever live. Even tensors sit at the arena start, odd ones
  // at its end; the arena is the largest neighbouring pair plus the scratch
  // the segment between them needs.
  int64_t arena = align8(plan.tensors[0].bytes);
  for (const ExportSegment& seg : plan.segments)
    arena = std::max(arena, align8(plan.tensors[size_t(seg.in)].bytes) + align8(plan.tensors[size_t(seg.out)].bytes) +
                                pixel_scratch_bytes(model, seg));
  if (arena > int64_t(UINT32_MAX)) throw Error("export-c: the model needs an arena of " +
                                               std::to_string(arena) + " bytes, more than 4 GiB");
  for (size_t i = 0; i < plan.tensors.size(); ++i)
    plan.tensors[i].offset = i % 2 == 0 ? 0 : arena - align8(plan.tensors[i].bytes);
  plan.arena_bytes = arena;
  return plan;
}

}  // namespace ifq
