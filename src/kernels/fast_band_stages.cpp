// Band stages: tasks of output rows, each ending in the fused epilogue
// kernel (pool, threshold, packing). Pool and pack stages are the epilogue
// alone, on an int32 map already in the arena.
#include <algorithm>
#include <cstring>

#include "fast_stage_types.hpp"

namespace ifq::fast {
namespace {

constexpr int64_t kAccBandBudget = 192 * 1024;  // bytes of accumulator band per task
constexpr int64_t kSmallStageMacs = 4'000'000;   // below: one task, no thread hand-off

}  // namespace

void Epilogue::take_pool(const IntMaxPoolOp& p) {
  pool = true;
  pool_size = p.size;
  pool_stride = p.stride;
  pool_pad = p.pad;
  take_min = p.take_min;
}

void BandStage::prepare(const Buffer& /*out*/, int threads, const kernels::KernelTable& table) {
  const int out_h = out_shape.h;
  // Conv rows one output row needs (and then per extra row).
  const int first_rows = epi.pool ? epi.pool_size : 1, step_rows = epi.pool ? epi.pool_stride : 1;
  const int64_t row_bytes = int64_t(conv_out.w) * out_channels * 4;
  int rpt = out_h;
  if (computes_band()) {
    const int64_t budget_rows = std::max<int64_t>(1, kAccBandBudget / std::max<int64_t>(1, row_bytes));
    rpt = int(std::max<int64_t>(1, (budget_rows - first_rows) / step_rows + 1));
  }
  int ntasks = (out_h + rpt - 1) / rpt;
  // Small stages run as one task: waking a worker costs more than they do.
  const bool small = info.macs > 0 ? info.macs < kSmallStageMacs : out_shape.elements() < kSmallStageMacs / 64;
  if (threads > 1 && !small) {
    // Several tasks per thread (a descheduled worker then holds back less
    // work), except where pooling windows overlap and every extra band
    // recomputes a conv row.
    const bool overlap = epi.pool && epi.pool_stride < epi.pool_size;
    const int want = overlap ? threads : 4 * threads;
    ntasks = std::max(ntasks, std::min(out_h, want));
    ntasks = std::min(out_h, (ntasks + threads - 1) / threads * threads);
  }
  rpt = (out_h + ntasks - 1) / ntasks;
  rows_per_task = rpt;
  tasks = (out_h + rpt - 1) / rpt;
  max_band_rows = std::min(conv_out.h, first_rows + (rpt - 1) * step_rows);
  // bconv: pixel-major, a pixel's channels padded to 8; pixconv: channel-major,
  // rows of pixels padded to the 32-column strips.
  const int64_t band_pixels = int64_t(max_band_rows) * conv_out.w;
  if (computes_band()) {
    acc_stride = pixel_major() ? align_up(out_channels, 8) : align_up(band_pixels, 32);
    acc_bytes = pixel_major() ? align_up(band_pixels * acc_stride * 4, kAlign)
                              : align_up(acc_stride * out_channels * 4, kAlign);
  }
  if (pixel_major() && epi.thr_bits) {
    const int nthr = (1 << epi.thr_bits) - 1, C = out_channels;
    epi.thresholds_by_level.resize(epi.thresholds.size());
    for (int c = 0; c < C; ++c)
      for (int t = 0; t < nthr; ++t)
        epi.thresholds_by_level[size_t(t) * C + c] = epi.thresholds[size_t(c) * nthr + t];
  }
  scratch_bytes = acc_bytes + band_scratch_bytes() +
                  align_up(kernels::epilogue_scratch_ints(out_channels, out_shape.w, conv_out.w) * 4, kAlign);
  info.tasks = tasks;
  if (computes_band() && epi.pool)
    info.label += " +maxpool" + std::to_string(epi.pool_size) + "/" + std::to_string(epi.pool_stride);
  if (computes_band() && epi.thr_bits) info.label += " +threshold" + std::to_string(epi.thr_bits);
  info.variant += std::string("_") + kernels::isa_name(table.isa);
}

void BandStage::run(const StageRun& r) {
  // Zero the packed output's pad rows and over-read tail; every task writes
  // its own rows completely.
  if (r.out->fmt == BufFmt::Packed) {
    const PackedLayout& L = r.out->layout;
    for (int i = 0; i < L.bits; ++i)
      for (int k = 0; k < L.pad; ++k) {
        std::memset(r.dst + L.row_offset(i, k), 0, size_t(L.row_bytes()));
        std::memset(r.dst + L.row_offset(i, L.padded_height() - 1 - k), 0, size_t(L.row_bytes()));
      }
    std::memset(r.dst + L.plane_bytes() * L.bits, 0, size_t(kernels::kOverReadBytes));
  }
  const int begin = epi.pool ? epi.pool_pad / 2 : 0;
  IFQ_DCHECK(!epi.pool || epi.pool_size <= kernels::kMaxFusedPoolWindow);
  auto task = [&](int t, int worker) {
    const int r0 = t * rows_per_task, r1 = std::min(out_shape.h, r0 + rows_per_task);
    if (r0 >= r1) return;
    uint8_t* scratch = r.scratch + worker * r.scratch_stride;
    IFQ_DCHECK(reinterpret_cast<uintptr_t>(scratch) % kAlign == 0);
    kernels::EpilogueArgs e;
    e.channels = out_channels;
    e.conv_h = conv_out.h;
    e.conv_w = conv_out.w;
    e.pool = epi.pool;
    e.pool_size = epi.pool_size;
    e.pool_stride = epi.pool_stride;
    e.pool_pad = epi.pool_pad;
    e.take_min = epi.take_min.empty() ? nullptr : epi.take_min.data();
    e.out_h = out_shape.h;
    e.out_w = out_shape.w;
    e.row_begin = r0;
    e.row_end = r1;
    e.thresholds = epi.thresholds.empty() ? nullptr : epi.thresholds.data();
    e.bits = epi.thr_bits;
    if (r.out->fmt == BufFmt::Packed) {
      e.packed = r.dst;
      e.packed_layout = r.out->layout;
    } else {
      e.chw = reinterpret_cast<int32_t*>(r.dst);
    }
    if (!computes_band()) {
      e.acc = reinterpret_cast<const int32_t*>(r.src);
      e.acc_stride = int64_t(conv_out.h) * conv_out.w;
      e.acc_row_begin = 0;
      e.scratch = reinterpret_cast<int32_t*>(scratch);
      r.table->epilogue_band(e);
      return;
    }
    // Conv rows this task needs.
    int cy0 = r0, cy1 = r1;
    if (epi.pool) {
      cy0 = std::max(0, r0 * epi.pool_stride - begin);
      cy1 = std::min(conv_out.h, (r1 - 1) * epi.pool_stride - begin + epi.pool_size);
    }
    IFQ_DCHECK(cy1 - cy0 <= max_band_rows);
    auto* acc = reinterpret_cast<int32_t*>(scratch);
    if (cy1 > cy0) compute_band(r, acc, scratch + acc_bytes, cy0, cy1);
    e.acc = acc;
    e.acc_stride = acc_stride;
    e.acc_row_begin = cy0;
    e.pixel_major = pixel_major();
    e.thresholds_by_level = epi.thresholds_by_level.empty() ? nullptr : epi.thresholds_by_level.data();
    e.scratch = reinterpret_cast<int32_t*>(scratch + acc_bytes + band_scratch_bytes());
    r.table->epilogue_band(e);
  };
  r.pool->run(tasks, task);
}

int64_t BandStage::parameter_bytes() const {
  return int64_t(epi.thresholds.size() + epi.thresholds_by_level.size()) * 4 + int64_t(epi.take_min.size());
}

PoolStage::PoolStage(const IntMaxPoolOp& op, const Shape3& in, const Shape3& out) {
  epi.take_pool(op);
  in_shape = conv_out = in;
  out_shape = out;
  out_channels = in.c;
  info.kind = "pool";
  info.label = "maxpool " + std::to_string(op.size) + "/" + std::to_string(op.stride);
  info.variant = "pool_" + std::to_string(op.size) + "x" + std::to_string(op.size) + "s" + std::to_string(op.stride);
}

// level = #{i : v > i} for i < 2^bits - 1 is v itself on valid levels.
PackStage::PackStage(const Shape3& shape, int bits, int op) {
  in_shape = out_shape = conv_out = shape;
  out_channels = shape.c;
  epi.thr_bits = bits;
  const int nthr = (1 << bits) - 1;
  epi.thresholds.resize(size_t(shape.c) * nthr);
  for (int c = 0; c < shape.c; ++c)
    for (int t = 0; t < nthr; ++t) epi.thresholds[size_t(c) * nthr + t] = t;
  info.kind = "pack";
  info.label = "pack k" + std::to_string(bits);
  info.variant = "pack_k" + std::to_string(bits);
  info.op_begin = info.op_end = op;
}

}  // namespace ifq::fast
