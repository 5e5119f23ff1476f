// FastRuntime: plans stages (fused ops), a static memory plan, and runs them
// on the selected kernel path with a thread pool.
#include "ifq/fast_runtime.hpp"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstring>
#include <string>
#include <variant>

#include "ifq/error.hpp"
#include "ifq/kernels/kernel_list.hpp"
#include "thread_pool.hpp"

namespace ifq {

using kernels::PackedLayout;

namespace {

enum class StageKind { Input, PixConv, BinConv, Pool, Pack, Pointwise, Reference };
enum class BufFmt { Int32, Packed, Pix16 };

struct Buffer {
  BufFmt fmt = BufFmt::Int32;
  Shape3 shape;
  PackedLayout layout;  // Packed
  int pix_pad = 0;      // Pix16: zero border of the first convolution
  int pix_stride = 1;   // Pix16: its stride (strips read past the rows)
  int64_t bytes = 0;
  int64_t offset = 0;   // in the arena
};

// What a value means, to decide which kernels apply.
struct ValueKind {
  enum { Pixels, Levels, Other } kind = Other;
  int bits = 0;
};

constexpr int64_t kAlign = 64;
constexpr int64_t kAccBandBudget = 192 * 1024;  // bytes of accumulator band per task
constexpr int64_t kSmallStageMacs = 4'000'000;   // below: one task, no thread hand-off

int64_t align_up(int64_t v, int64_t a) { return (v + a - 1) / a * a; }

struct Stage {
  StageKind kind = StageKind::Reference;
  int op_begin = 0, op_end = 0;
  Shape3 in_shape, out_shape;
  // Required input format (decided at grouping) and its buffer parameters.
  BufFmt in_fmt = BufFmt::Int32;
  int in_bits = 0, in_pad = 0;
  // Convolution (PixConv / BinConv) geometry and weights.
  int kernel = 1, stride = 1, pad = 0, acc_shift = 0, in_channels = 0, out_channels = 0;
  Shape3 conv_out;
  std::vector<uint64_t> wbits;
  std::vector<int16_t> w16;
  std::vector<int32_t> w32;
  bool use_int16 = false;
  // Epilogue.
  bool pool = false;
  int pool_size = 1, pool_stride = 1, pool_pad = 0;
  std::vector<uint8_t> take_min;
  std::vector<int32_t> thresholds;           // [channels][2^bits - 1]
  std::vector<int32_t> thresholds_by_level;  // [2^bits - 1][channels] (pixel-major epilogue)
  int thr_bits = 0;
  // Input stage.
  std::vector<int32_t> mean;
  // Tasks: output rows per task; conv rows in the largest band.
  int rows_per_task = 1, tasks = 1, max_band_rows = 0;
  int64_t acc_stride = 0, acc_bytes = 0;
  int64_t scratch_bytes = 0;  // per worker
  FastStageInfo info;
};

// Pixels straight from the input op; levels wherever the registry's value
// range says 0..2^b - 1 (after a threshold or quant, through pools).
ValueKind kind_after(const IntOp& op, ValueRange range) {
  if (std::holds_alternative<IntInputOp>(op)) return {ValueKind::Pixels, 8};
  if (const int bits = range.level_bits()) return {ValueKind::Levels, bits};
  return {};
}

bool binary_weights(const IntConvOp& conv) {
  if (conv.weight_bits != 1) return false;
  for (int32_t w : conv.weight)
    if (w != 1 && w != -1) return false;
  return true;
}

// Largest |pixel - mean| over channels.
int64_t max_abs_pixel(const IntInputOp& in) {
  int64_t m = 0;
  for (int32_t mean : in.mean) m = std::max<int64_t>({m, std::llabs(int64_t(mean)), std::llabs(255 - int64_t(mean))});
  return m;
}

std::string geometry_label(const Stage& s) {
  std::string l = std::to_string(s.kernel) + "x" + std::to_string(s.kernel) + "/" + std::to_string(s.stride) +
                  " " + std::to_string(s.in_channels) + "->" + std::to_string(s.out_channels);
  if (s.kind == StageKind::BinConv) l += " k" + std::to_string(s.in_bits);
  if (s.pool) l += " +maxpool" + std::to_string(s.pool_size) + "/" + std::to_string(s.pool_stride);
  if (s.thr_bits) l += " +threshold" + std::to_string(s.thr_bits);
  return l;
}

}  // namespace

struct FastRuntime::Impl {
  IntModel model;
  std::vector<Shape3> shapes;
  kernels::Isa isa;
  const kernels::KernelTable* table = nullptr;
  std::unique_ptr<kernels::ThreadPool> pool;
  bool time_stages = false;
  std::vector<Stage> stages;
  std::vector<Buffer> bufs;  // bufs[s] = output of stages[s]
  std::vector<FastStageInfo> infos;
  std::unique_ptr<uint8_t[]> arena_storage;
  uint8_t* arena = nullptr;
  int64_t arena_size = 0;
  int64_t worker_scratch_offset = 0, worker_scratch_bytes = 0;
  IntTensor output;

  void group_stages();
  void plan_buffers();
  void plan_tasks(Stage& s, int threads);
  void plan_memory(int threads);
  void run_stage(int si, const uint8_t* image);
  uint8_t* buf_ptr(int b) { return arena + bufs[size_t(b)].offset; }
  uint8_t* scratch_ptr(int worker) { return arena + worker_scratch_offset + worker * worker_scratch_bytes; }
};

// ---- planning ---------------------------------------------------------------

void FastRuntime::Impl::group_stages() {
  const auto& ops = model.ops;
  std::vector<ValueKind> kinds(ops.size());
  ValueRange range;
  for (size_t i = 0; i < ops.size(); ++i) kinds[i] = kind_after(ops[i], range = int_op_output_range(ops[i], range));

  for (int i = 0; i < int(ops.size());) {
    Stage s;
    s.op_begin = i;
    s.in_shape = i > 0 ? shapes[size_t(i - 1)] : Shape3{};
    const ValueKind in_kind = i > 0 ? kinds[size_t(i - 1)] : ValueKind{};
    int j = i + 1;
    if (auto* input = std::get_if<IntInputOp>(&ops[size_t(i)])) {
      s.kind = StageKind::Input;
      s.mean = input->mean;
    } else if (auto* conv = std::get_if<IntConvOp>(&ops[size_t(i)])) {
      const bool bin = in_kind.kind == ValueKind::Levels && in_kind.bits >= 1 &&
                       in_kind.bits <= kernels::kMaxPackedBits && conv->kernel <= kernels::kMaxBinaryKernel &&
                       binary_weights(*conv);
      bool pix = false;
      if (in_kind.kind == ValueKind::Pixels && i == 1) {
        // Exact in int32 (or int16) when every partial sum is bounded:
        // |acc| <= max|pixel - mean| * Σ|w| over one output channel.
        const int64_t px = max_abs_pixel(std::get<IntInputOp>(ops[0]));
        const int64_t per_out = int64_t(conv->in_channels) * conv->kernel * conv->kernel;
        int64_t worst = 0;
        bool fits16 = px <= 32767;
        for (int o = 0; o < conv->out_channels; ++o) {
          int64_t sum = 0;
          for (int64_t t = 0; t < per_out; ++t) {
            const int64_t w = std::llabs(int64_t(conv->weight[size_t(o * per_out + t)]));
            sum += w;
            if (w > 32767) fits16 = false;
            if (sum > (int64_t(1) << 40)) break;
          }
          worst = std::max(worst, sum);
        }
        pix = px * worst <= INT32_MAX && px <= 32767;
        s.use_int16 = fits16 && px * worst <= 32767;
      }
      if (bin || pix) {
        s.kind = bin ? StageKind::BinConv : StageKind::PixConv;
        s.kernel = conv->kernel;
        s.stride = conv->stride;
        s.pad = conv->pad;
        s.acc_shift = conv->acc_shift;
        s.in_channels = conv->in_channels;
        s.out_channels = conv->out_channels;
        s.conv_out = shapes[size_t(i)];
        if (bin) {
          s.in_fmt = BufFmt::Packed;
          s.in_bits = in_kind.bits;
          s.in_pad = conv->pad;
          s.wbits = kernels::group_binary_weights(
              kernels::pack_binary_weights(conv->weight.data(), conv->out_channels, conv->in_channels, conv->kernel),
              conv->out_channels, kernels::window_words(conv->kernel, conv->in_channels));
        } else {
          s.in_fmt = BufFmt::Pix16;
          s.in_pad = conv->pad;
          if (s.use_int16)
            s.w16.assign(conv->weight.begin(), conv->weight.end());
          else
            s.w32 = conv->weight;
        }
        const int64_t out_pixels = int64_t(s.conv_out.h) * s.conv_out.w;
        s.info.macs = out_pixels * conv->out_channels * conv->in_channels * conv->kernel * conv->kernel;
        if (bin) s.info.binary_ops = s.info.macs * in_kind.bits;
        // Epilogue fusion: [maxpool] [threshold] [maxpool after threshold].
        auto take_pool = [&](const IntMaxPoolOp& p) {
          s.pool = true;
          s.pool_size = p.size;
          s.pool_stride = p.stride;
          s.pool_pad = p.pad;
          s.take_min = p.take_min;
        };
        // Pool windows of up to kMaxFusedPoolWindow rows are fused (the epilogue's row list).
        auto fusable_pool = [&](int k) -> const IntMaxPoolOp* {
          if (k >= int(ops.size())) return nullptr;
          auto* p = std::get_if<IntMaxPoolOp>(&ops[size_t(k)]);
          return p && p->size >= 1 && p->size <= kernels::kMaxFusedPoolWindow ? p : nullptr;
        };
        if (auto* p = fusable_pool(j)) take_pool(*p), ++j;
        if (j < int(ops.size()))
          if (auto* t = std::get_if<IntThresholdOp>(&ops[size_t(j)]);
              t && t->bits >= 1 && t->bits <= kernels::kMaxPackedBits) {
            s.thr_bits = t->bits;
            s.thresholds = t->thresholds;
            ++j;
            // max(level(x)) == level(max(x)) because level() is non-decreasing;
            // the same holds for min, and padded positions are skipped either way.
            if (!s.pool)
              if (auto* p = fusable_pool(j)) take_pool(*p), ++j;
          }
      }
    } else if (std::holds_alternative<IntMaxPoolOp>(ops[size_t(i)]) &&
               std::get<IntMaxPoolOp>(ops[size_t(i)]).size <= kernels::kMaxFusedPoolWindow) {
      s.kind = StageKind::Pool;
      const auto& p = std::get<IntMaxPoolOp>(ops[size_t(i)]);
      s.pool = true;
      s.pool_size = p.size;
      s.pool_stride = p.stride;
      s.pool_pad = p.pad;
      s.take_min = p.take_min;
      s.conv_out = s.in_shape;
      s.out_channels = s.in_shape.c;
    }
    if (s.kind == StageKind::Reference && int_op_is_pointwise(ops[size_t(i)])) {
      s.kind = StageKind::Pointwise;
      while (j < int(ops.size()) && int_op_is_pointwise(ops[size_t(j)])) ++j;
    }
    s.op_end = j;
    s.out_shape = shapes[size_t(j - 1)];
    if (s.pool && s.take_min.size() != size_t(s.out_shape.c)) {
      if (!s.take_min.empty()) throw Error("max pool take_min has the wrong channel count");
    }
    stages.push_back(std::move(s));
    i = j;
  }
}

// Output buffer of each stage = the format its consumer reads. A stage that
// cannot write packed levels gets a pack stage after it.
void FastRuntime::Impl::plan_buffers() {
  std::vector<Stage> planned;
  for (size_t s = 0; s < stages.size(); ++s) {
    Stage& st = stages[s];
    const Stage* next = s + 1 < stages.size() ? &stages[s + 1] : nullptr;
    Buffer b;
    b.shape = st.out_shape;
    const BufFmt want = next ? next->in_fmt : BufFmt::Int32;
    const bool can_pack = (st.kind == StageKind::BinConv || st.kind == StageKind::PixConv) && st.thr_bits > 0 &&
                          (!next || st.thr_bits == next->in_bits);
    const bool can_pix = st.kind == StageKind::Input;
    bool need_pack_stage = false;
    if (want == BufFmt::Packed && can_pack) {
      b.fmt = BufFmt::Packed;
    } else if (want == BufFmt::Pix16 && can_pix) {
      b.fmt = BufFmt::Pix16;
      b.pix_pad = next->in_pad;
      b.pix_stride = next->stride;
    } else {
      b.fmt = BufFmt::Int32;
      need_pack_stage = want == BufFmt::Packed;
      if (want == BufFmt::Pix16) throw Error("internal: pixel convolution not fed by the input op");
    }
    if (b.fmt == BufFmt::Packed) b.layout = {b.shape.c, b.shape.h, b.shape.w, next->in_pad, next->in_bits};
    planned.push_back(std::move(st));
    bufs.push_back(b);
    if (need_pack_stage) {
      Stage p;
      p.kind = StageKind::Pack;
      p.op_begin = p.op_end = next->op_begin;
      p.in_shape = p.out_shape = p.conv_out = b.shape;
      p.out_channels = b.shape.c;
      p.thr_bits = next->in_bits;
      // level = #{i : v > i} for i < 2^bits - 1 is v itself on valid levels.
      const int nthr = (1 << p.thr_bits) - 1;
      p.thresholds.resize(size_t(b.shape.c) * nthr);
      for (int c = 0; c < b.shape.c; ++c)
        for (int t = 0; t < nthr; ++t) p.thresholds[size_t(c) * nthr + t] = t;
      Buffer pb;
      pb.shape = b.shape;
      pb.fmt = BufFmt::Packed;
      pb.layout = {b.shape.c, b.shape.h, b.shape.w, next->in_pad, next->in_bits};
      planned.push_back(std::move(p));
      bufs.push_back(pb);
    }
  }
  stages = std::move(planned);
  for (auto& b : bufs) {
    if (b.fmt == BufFmt::Int32) b.bytes = b.shape.elements() * 4;
    if (b.fmt == BufFmt::Packed) b.bytes = b.layout.total_bytes();
    if (b.fmt == BufFmt::Pix16)
      b.bytes = (int64_t(b.shape.c) * (b.shape.h + 2 * b.pix_pad) * (b.shape.w + 2 * b.pix_pad) +
                 kernels::pixconv_input_slack(b.pix_stride)) * 2;
    b.bytes = align_up(b.bytes, kAlign);
  }
}

void FastRuntime::Impl::plan_tasks(Stage& s, int threads) {
  const bool conv_like = s.kind == StageKind::BinConv || s.kind == StageKind::PixConv;
  const bool epilogue = conv_like || s.kind == StageKind::Pool || s.kind == StageKind::Pack;
  if (!epilogue) {
    s.tasks = 1;
    s.rows_per_task = s.out_shape.h;
    return;
  }
  const int out_h = s.out_shape.h;
  // Conv rows one output row needs (and then per extra row).
  const int first_rows = s.pool ? s.pool_size : 1, step_rows = s.pool ? s.pool_stride : 1;
  const int64_t row_bytes = int64_t(s.conv_out.w) * s.out_channels * 4;
  int rpt = out_h;
  if (conv_like) {
    const int64_t budget_rows = std::max<int64_t>(1, kAccBandBudget / std::max<int64_t>(1, row_bytes));
    rpt = int(std::max<int64_t>(1, (budget_rows - first_rows) / step_rows + 1));
  }
  int ntasks = (out_h + rpt - 1) / rpt;
  // Small stages run as one task: waking a worker costs more than they do.
  const bool small = s.info.macs > 0 ? s.info.macs < kSmallStageMacs : s.out_shape.elements() < kSmallStageMacs / 64;
  if (threads > 1 && !small) {
    // Several tasks per thread (a descheduled worker then holds back less
    // work), except where pooling windows overlap and every extra band
    // recomputes a conv row.
    const bool overlap = s.pool && s.pool_stride < s.pool_size;
    const int want = overlap ? threads : 4 * threads;
    ntasks = std::max(ntasks, std::min(out_h, want));
    ntasks = std::min(out_h, (ntasks + threads - 1) / threads * threads);
  }
  rpt = (out_h + ntasks - 1) / ntasks;
  s.rows_per_task = rpt;
  s.tasks = (out_h + rpt - 1) / rpt;
  s.max_band_rows = std::min(s.conv_out.h, first_rows + (rpt - 1) * step_rows);
  // bconv: pixel-major, a pixel's channels padded to 8; pixconv: channel-major,
  // rows of pixels padded to the 32-column strips.
  const int64_t band_pixels = int64_t(s.max_band_rows) * s.conv_out.w;
  s.acc_stride = s.kind == StageKind::BinConv ? align_up(s.out_channels, 8)
                 : conv_like                  ? align_up(band_pixels, 32)
                                              : 0;
  s.acc_bytes = s.kind == StageKind::BinConv ? align_up(band_pixels * s.acc_stride * 4, kAlign)
                : conv_like                  ? align_up(s.acc_stride * s.out_channels * 4, kAlign)
                                             : 0;
  if (s.kind == StageKind::BinConv && s.thr_bits) {
    const int nthr = (1 << s.thr_bits) - 1, C = s.out_channels;
    s.thresholds_by_level.resize(s.thresholds.size());
    for (int c = 0; c < C; ++c)
      for (int t = 0; t < nthr; ++t) s.thresholds_by_level[size_t(t) * C + c] = s.thresholds[size_t(c) * nthr + t];
  }
  int64_t bytes = s.acc_bytes;
  if (s.kind == StageKind::BinConv)
    bytes += align_up(kernels::bconv_scratch_words(s.kernel, s.in_channels, s.in_bits) * 8, kAlign);
  if (s.kind == StageKind::PixConv) bytes += align_up(kernels::pixconv_scratch_ints(s.in_channels, s.kernel) * 4, kAlign);
  bytes += align_up(kernels::epilogue_scratch_ints(s.out_channels, s.out_shape.w, s.conv_out.w) * 4, kAlign);
  s.scratch_bytes = bytes;
  s.info.tasks = s.tasks;
}

// Feature maps alternate between two regions (stage s reads buffer s-1 and
// writes buffer s), then one scratch region per worker.
void FastRuntime::Impl::plan_memory(int threads) {
  int64_t region[2] = {0, 0};
  for (size_t b = 0; b < bufs.size(); ++b) region[b % 2] = std::max(region[b % 2], bufs[b].bytes);
  for (size_t b = 0; b < bufs.size(); ++b) bufs[b].offset = (b % 2) ? region[0] : 0;
  worker_scratch_offset = region[0] + region[1];
  worker_scratch_bytes = 0;
  for (auto& s : stages) worker_scratch_bytes = std::max(worker_scratch_bytes, s.scratch_bytes);
  arena_size = worker_scratch_offset + worker_scratch_bytes * threads;
  arena_storage.reset(new uint8_t[size_t(arena_size) + kAlign]);
  arena = reinterpret_cast<uint8_t*>(align_up(reinterpret_cast<intptr_t>(arena_storage.get()), kAlign));
  std::memset(arena, 0, size_t(arena_size));
}

FastRuntime::FastRuntime(const IntModel& model, FastRuntimeOptions options) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  if (options.threads < 1) throw Error("fast runtime: thread count must be at least 1");
  m.model = model;
  m.shapes = infer_int_shapes(m.model);
  if (m.model.ops.empty() || !std::holds_alternative<IntInputOp>(m.model.ops[0]))
    throw Error("fast runtime: the model must start with an input op");
  m.isa = options.isa ? *options.isa : kernels::selected_isa();
  m.table = &kernels::kernel_table(m.isa);
  m.pool = std::make_unique<kernels::ThreadPool>(options.threads);
  m.time_stages = options.time_stages;
  m.group_stages();
  m.plan_buffers();
  for (auto& s : m.stages) m.plan_tasks(s, options.threads);
  m.plan_memory(options.threads);
  m.output.shape = m.shapes.back();
  m.output.data.assign(size_t(m.output.shape.elements()), 0);
  for (auto& s : m.stages) {
    FastStageInfo& info = s.info;
    static const char* kNames[] = {"input", "pixconv", "bconv", "pool", "pack", "pointwise", "reference"};
    info.kind = kNames[int(s.kind)];
    info.op_begin = s.op_begin;
    info.op_end = s.op_end;
    info.out_shape = s.out_shape;
    switch (s.kind) {
      case StageKind::PixConv:
      case StageKind::BinConv: info.label = info.kind + " " + geometry_label(s); break;
      case StageKind::Pool:
        info.label = "maxpool " + std::to_string(s.pool_size) + "/" + std::to_string(s.pool_stride);
        break;
      case StageKind::Pack: info.label = "pack k" + std::to_string(s.thr_bits); break;
      case StageKind::Input: info.label = "input " + s.out_shape.str(); break;
      case StageKind::Pointwise:
        info.label = "pointwise";
        for (int op = s.op_begin; op < s.op_end; ++op) info.label += std::string(" ") + int_op_name(m.model.ops[size_t(op)]);
        break;
      case StageKind::Reference: info.label = std::string("reference ") + int_op_name(m.model.ops[size_t(s.op_begin)]); break;
    }
    m.infos.push_back(info);
  }
}

FastRuntime::~FastRuntime() = default;

kernels::Isa FastRuntime::isa() const { return impl_->isa; }
int FastRuntime::threads() const { return impl_->pool->size(); }
int64_t FastRuntime::arena_bytes() const { return impl_->arena_size; }
int64_t FastRuntime::parameter_bytes() const {
  int64_t b = 0;
  for (auto& s : impl_->stages)
    b += int64_t(s.wbits.size()) * 8 + int64_t(s.w16.size()) * 2 + int64_t(s.w32.size()) * 4 +
         int64_t(s.thresholds.size() + s.thresholds_by_level.size()) * 4 + int64_t(s.take_min.size());
  return b;
}
const std::vector<FastStageInfo>& FastRuntime::stages() const { return impl_->infos; }

// ---- execution --------------------------------------------------------------

void FastRuntime::Impl::run_stage(int si, const uint8_t* image) {
  Stage& s = stages[size_t(si)];
  const Buffer& out = bufs[size_t(si)];
  uint8_t* dst = buf_ptr(si);
  const uint8_t* src = si > 0 ? buf_ptr(si - 1) : nullptr;

  switch (s.kind) {
    case StageKind::Input: {
      const Shape3 sh = s.out_shape;
      if (out.fmt == BufFmt::Pix16) {
        const int p = out.pix_pad, ph = sh.h + 2 * p, pw = sh.w + 2 * p;
        auto* d = reinterpret_cast<int16_t*>(dst);
        std::memset(d, 0, size_t(sh.c) * ph * pw * 2);
        for (int c = 0; c < sh.c; ++c) {
          const int16_t mean = int16_t(s.mean[size_t(c)]);
          for (int y = 0; y < sh.h; ++y) {
            const uint8_t* in = image + (int64_t(c) * sh.h + y) * sh.w;
            int16_t* row = d + (int64_t(c) * ph + y + p) * pw + p;
            for (int x = 0; x < sh.w; ++x) row[x] = int16_t(int16_t(in[x]) - mean);
          }
        }
      } else {
        auto* d = reinterpret_cast<int32_t*>(dst);
        for (int c = 0; c < sh.c; ++c) {
          const int32_t mean = s.mean[size_t(c)];
          const int64_t n = int64_t(sh.h) * sh.w;
          for (int64_t k = 0; k < n; ++k) d[c * n + k] = int32_t(image[c * n + k]) - mean;
        }
      }
      return;
    }
    case StageKind::Pointwise: {
      const auto* in = reinterpret_cast<const int32_t*>(src);
      auto* o = reinterpret_cast<int32_t*>(dst);
      const int64_t plane = int64_t(s.out_shape.h) * s.out_shape.w;
      for (int64_t k = 0; k < s.out_shape.elements(); ++k) {
        int32_t v = in[k];
        for (int op = s.op_begin; op < s.op_end; ++op) v = apply_pointwise(model.ops[size_t(op)], size_t(k / plane), v);
        o[k] = v;
      }
      return;
    }
    case StageKind::Reference: {
      // Exact fallback: the specification's own op implementation.
      const Buffer& in = bufs[size_t(si - 1)];
      IntTensor t;
      t.shape = in.shape;
      const auto* p = reinterpret_cast<const int32_t*>(src);
      t.data.assign(p, p + in.shape.elements());
      for (int op = s.op_begin; op < s.op_end; ++op) t = apply_int_op(model.ops[size_t(op)], t, shapes[size_t(op)]);
      std::memcpy(dst, t.data.data(), t.data.size() * 4);
      return;
    }
    default: break;
  }

  // Epilogue stages (conv, pool, pack): zero the packed output's pad rows and
  // over-read tail; every task writes its own rows completely.
  if (out.fmt == BufFmt::Packed) {
    const PackedLayout& L = out.layout;
    for (int i = 0; i < L.bits; ++i)
      for (int k = 0; k < L.pad; ++k) {
        std::memset(dst + L.row_offset(i, k), 0, size_t(L.row_bytes()));
        std::memset(dst + L.row_offset(i, L.padded_height() - 1 - k), 0, size_t(L.row_bytes()));
      }
    std::memset(dst + L.plane_bytes() * L.bits, 0, size_t(kernels::kOverReadBytes));
  }
  const Buffer* in = si > 0 ? &bufs[size_t(si - 1)] : nullptr;
  const int begin = s.pool ? s.pool_pad / 2 : 0;
  auto task = [&](int t, int worker) {
    const int r0 = t * s.rows_per_task, r1 = std::min(s.out_shape.h, r0 + s.rows_per_task);
    if (r0 >= r1) return;
    uint8_t* scratch = scratch_ptr(worker);
    kernels::EpilogueArgs e;
    e.channels = s.out_channels;
    e.conv_h = s.conv_out.h;
    e.conv_w = s.conv_out.w;
    e.pool = s.pool;
    e.pool_size = s.pool_size;
    e.pool_stride = s.pool_stride;
    e.pool_pad = s.pool_pad;
    e.take_min = s.take_min.empty() ? nullptr : s.take_min.data();
    e.out_h = s.out_shape.h;
    e.out_w = s.out_shape.w;
    e.row_begin = r0;
    e.row_end = r1;
    e.thresholds = s.thresholds.empty() ? nullptr : s.thresholds.data();
    e.bits = s.thr_bits;
    if (out.fmt == BufFmt::Packed) {
      e.packed = dst;
      e.packed_layout = out.layout;
    } else {
      e.chw = reinterpret_cast<int32_t*>(dst);
    }
    if (s.kind == StageKind::Pool || s.kind == StageKind::Pack) {
      e.acc = reinterpret_cast<const int32_t*>(src);
      e.acc_stride = int64_t(s.conv_out.h) * s.conv_out.w;
      e.acc_row_begin = 0;
      e.scratch = reinterpret_cast<int32_t*>(scratch);
      table->epilogue_band(e);
      return;
    }
    // Conv rows this task needs.
    int cy0 = r0, cy1 = r1;
    if (s.pool) {
      cy0 = std::max(0, r0 * s.pool_stride - begin);
      cy1 = std::min(s.conv_out.h, (r1 - 1) * s.pool_stride - begin + s.pool_size);
    }
    auto* acc = reinterpret_cast<int32_t*>(scratch);
    uint8_t* rest = scratch + s.acc_bytes;
    if (cy1 > cy0) {
      if (s.kind == StageKind::BinConv) {
        kernels::BconvArgs a;
        a.input = src;
        a.in = in->layout;
        a.kernel = s.kernel;
        a.stride = s.stride;
        a.out_w = s.conv_out.w;
        a.row_begin = cy0;
        a.row_end = cy1;
        a.weights = s.wbits.data();
        a.out_channels = s.out_channels;
        a.acc_shift = s.acc_shift;
        a.acc = acc;
        a.acc_stride = s.acc_stride;
        a.scratch = reinterpret_cast<uint64_t*>(rest);
        table->bconv_band(a);
        rest += align_up(kernels::bconv_scratch_words(s.kernel, s.in_channels, s.in_bits) * 8, kAlign);
      } else {
        kernels::PixconvArgs a;
        a.input = reinterpret_cast<const int16_t*>(src);
        a.channels = s.in_channels;
        a.padded_h = in->shape.h + 2 * in->pix_pad;
        a.padded_w = in->shape.w + 2 * in->pix_pad;
        a.kernel = s.kernel;
        a.stride = s.stride;
        a.out_w = s.conv_out.w;
        a.row_begin = cy0;
        a.row_end = cy1;
        a.use_int16 = s.use_int16;
        a.weights16 = s.w16.data();
        a.weights32 = s.w32.data();
        a.out_channels = s.out_channels;
        a.acc_shift = s.acc_shift;
        a.acc = acc;
        a.acc_stride = s.acc_stride;
        a.scratch = reinterpret_cast<int32_t*>(rest);
        table->pixconv_band(a);
        rest += align_up(kernels::pixconv_scratch_ints(s.in_channels, s.kernel) * 4, kAlign);
      }
    }
    e.acc = acc;
    e.acc_stride = s.acc_stride;
    e.acc_row_begin = cy0;
    e.pixel_major = s.kind == StageKind::BinConv;
    e.thresholds_by_level = s.thresholds_by_level.empty() ? nullptr : s.thresholds_by_level.data();
    e.scratch = reinterpret_cast<int32_t*>(rest);
    table->epilogue_band(e);
  };
  pool->run(s.tasks, task);
}

const IntTensor& FastRuntime::run(const uint8_t* image, size_t size) {
  Impl& m = *impl_;
  const Shape3 in = m.shapes[0];
  if (int64_t(size) != in.elements())
    throw Error("fast runtime: image has " + std::to_string(size) + " bytes, the model expects " + in.str() +
                " = " + std::to_string(in.elements()));
  for (int si = 0; si < int(m.stages.size()); ++si) {
    const auto t0 = std::chrono::steady_clock::now();
    m.run_stage(si, image);
    if (m.time_stages)
      m.infos[size_t(si)].last_ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  }
  const Buffer& last = m.bufs.back();
  std::memcpy(m.output.data.data(), m.buf_ptr(int(m.bufs.size()) - 1), size_t(last.shape.elements()) * 4);
  return m.output;
}

}  // namespace ifq
