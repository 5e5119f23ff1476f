// Groups a model's ops into fast-runtime stages and plans their output
// buffers (fast_stage.hpp).
#include <algorithm>
#include <climits>
#include <cstdlib>

#include "fast_stage_types.hpp"
#include "ifq/error.hpp"

namespace ifq::fast {
namespace {

// What a value means, to decide which kernels apply.
struct ValueKind {
  enum { Pixels, Levels, Other } kind = Other;
  int bits = 0;
};

// Pixels straight from the input op; levels wherever the registry's value
// range says 0..2^b - 1 (after a threshold or quant, through pools).
ValueKind kind_after(const IntOp& op, ValueRange range) {
  if (std::holds_alternative<IntInputOp>(op)) return {ValueKind::Pixels, 8};
  if (const int bits = range.level_bits()) return {ValueKind::Levels, bits};
  return {};
}

// Every weight +-1, whatever weight_bits says (a wider declared type holding
// only +-1 runs as binary: the same sums, half the digit-plane work).
bool binary_weights(const IntConvOp& conv) {
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

// Whether the first convolution's sums are exact in int32, and in int16:
// |acc| <= max|pixel - mean| * Σ|w| over one output channel.
struct PixelBound {
  bool fits32 = false, fits16 = false;
};
PixelBound pixel_bound(const IntInputOp& input, const IntConvOp& conv) {
  const int64_t px = max_abs_pixel(input);
  const int64_t per_out = conv.filter_size();
  int64_t worst = 0;
  bool weights16 = px <= 32767;
  for (int o = 0; o < conv.stored_filters(); ++o) {
    int64_t sum = 0;
    for (int64_t t = 0; t < per_out; ++t) {
      const int64_t w = std::llabs(int64_t(conv.weight[size_t(o * per_out + t)]));
      sum += w;
      if (w > 32767) weights16 = false;
      if (sum > (int64_t(1) << 40)) break;
    }
    worst = std::max(worst, sum);
  }
  return {px * worst <= INT32_MAX && px <= 32767, weights16 && px * worst <= 32767};
}

// Shared weights run on the conv kernels when their per-filter sums can be
// added in int32 without a shift (then equal to the reference's int64 sum).
bool sharing_fits_kernels(const IntConvOp& conv, int in_bits) {
  if (!conv.shares_weights()) return true;
  if (conv.acc_shift != 0) return false;
  const int64_t max_level = (int64_t(1) << in_bits) - 1;
  return double(conv.filter_size()) * double(max_level) <= double(INT32_MAX);
}

// Multi-bit weights on the binary kernel (SharedFilters' digit planes): the
// digits B of the narrowest two's-complement range [-2^(B-1), 2^(B-1) - 1]
// holding every stored weight (negate flips the combined sum, not the
// weights), or 0 above kMaxWeightDigits.
constexpr int kMaxWeightDigits = 16;
int weight_digits(const IntConvOp& conv) {
  if (conv.weight.empty()) return 0;
  const auto [lo, hi] = std::minmax_element(conv.weight.begin(), conv.weight.end());
  for (int b = 1; b <= kMaxWeightDigits; ++b)
    if (*lo >= -(int64_t(1) << (b - 1)) && *hi <= (int64_t(1) << (b - 1)) - 1) return b;
  return 0;
}

// Every sum of the digit-plane path fits int32 (so it equals the reference's
// int64 sum): each plane's |Σ s x| and the all-(+1) filter's Σ x are at most
// C k k max_level; the combination's partial sums at most
// filter_size * max_level * (2^B - 1 + 1).
bool digits_fit_kernels(const IntConvOp& conv, int in_bits, int digits) {
  if (digits < 1 || conv.acc_shift != 0) return false;
  const double max_level = double((int64_t(1) << in_bits) - 1);
  return double(conv.filter_size()) * max_level * double(int64_t(1) << digits) <= double(INT32_MAX);
}

// The path's cost model (KernelTable::i8conv_word_cost): `planes` popcount
// planes of the window's words, plus a per-word overhead that the small
// channel counts' im2col makes visible, against k*k*C/4 int8 groups.
constexpr double kDigitWordOverhead = 6;
bool int8_is_cheaper(const IntConvOp& conv, int planes, double word_cost) {
  const double popcount =
      double(planes) * (kernels::window_words(conv.kernel, conv.in_channels) + kDigitWordOverhead) * word_cost;
  return word_cost > 0 && popcount >= double(conv.kernel) * conv.kernel * conv.in_channels / 4.0;
}

// A pool the epilogue can take (its row list holds kMaxFusedPoolWindow rows).
const IntMaxPoolOp* fusable_pool(const IntModel& m, int k) {
  if (k >= int(m.ops.size())) return nullptr;
  auto* p = std::get_if<IntMaxPoolOp>(&m.ops[size_t(k)]);
  return p && p->size >= 1 && p->size <= kernels::kMaxFusedPoolWindow ? p : nullptr;
}

// Fuses [maxpool] [threshold] [maxpool after threshold] into a conv's
// epilogue; returns the first op not taken.
int fuse_epilogue(const IntModel& m, int j, Epilogue& epi) {
  if (auto* p = fusable_pool(m, j)) epi.take_pool(*p), ++j;
  if (j < int(m.ops.size()))
    if (auto* t = std::get_if<IntThresholdOp>(&m.ops[size_t(j)]); t && t->bits >= 1 && t->bits <= kernels::kMaxPackedBits) {
      epi.thr_bits = t->bits;
      epi.thresholds = t->thresholds;
      ++j;
      // max(level(x)) == level(max(x)) because level() is non-decreasing;
      // the same holds for min, and padded positions are skipped either way.
      if (!epi.pool)
        if (auto* p = fusable_pool(m, j)) epi.take_pool(*p), ++j;
    }
  return j;
}

// The stage starting at op i; sets `next` to the first op after it.
std::unique_ptr<Stage> stage_at(const IntModel& m, const std::vector<Shape3>& shapes,
                                const std::vector<ValueKind>& kinds, const kernels::KernelTable& table, int i,
                                int& next) {
  const auto& ops = m.ops;
  const Shape3 in = i > 0 ? shapes[size_t(i - 1)] : Shape3{};
  const ValueKind in_kind = i > 0 ? kinds[size_t(i - 1)] : ValueKind{};
  next = i + 1;
  if (auto* input = std::get_if<IntInputOp>(&ops[size_t(i)])) return std::make_unique<InputStage>(*input);
  if (auto* conv = std::get_if<IntConvOp>(&ops[size_t(i)])) {
    const bool on_levels = in_kind.kind == ValueKind::Levels && in_kind.bits >= 1 &&
                           in_kind.bits <= kernels::kMaxPackedBits && conv->kernel <= kernels::kMaxBinaryKernel;
    const bool binary = on_levels && binary_weights(*conv);
    // +1/-1 weights on the plain binary path; other integer weights as digit planes.
    int digits = 0;
    if (on_levels && !binary) {
      digits = weight_digits(*conv);
      if (!digits_fit_kernels(*conv, in_kind.bits, digits)) digits = 0;
    }
    // Weights as bytes where the path's int8 kernel is exact for these
    // levels and cheaper than the digit planes (or those do not fit), or,
    // for +-1 weights, than the binary kernels.
    const bool int8_cheaper =
        binary ? int8_is_cheaper(*conv, in_kind.bits, table.i8conv_binary_word_cost)
               : digits == 0 ? table.i8conv_word_cost > 0
                             : int8_is_cheaper(*conv, digits * in_kind.bits, table.i8conv_word_cost);
    if (on_levels && (int64_t(1) << in_kind.bits) - 1 <= table.i8conv_max_level && int8_cheaper)
      if (auto s = Int8ConvStage::make(*conv, in_kind.bits, in, shapes[size_t(i)])) {
        next = fuse_epilogue(m, next, s->epi);
        return s;
      }
    const bool bin = (binary && sharing_fits_kernels(*conv, in_kind.bits)) || digits > 0;
    PixelBound px;
    // The pixel kernel reads the image once per filter: repeated input
    // blocks are summed first (a copy only when there are blocks to sum).
    const bool pixel = !bin && in_kind.kind == ValueKind::Pixels && i == 1 &&
                       (!conv->shares_weights() || conv->acc_shift == 0);
    IntConvOp summed;
    if (pixel && conv->input_repeat > 1) summed = sum_input_blocks(*conv);
    const IntConvOp& pixel_conv = conv->input_repeat > 1 ? summed : *conv;
    if (pixel) px = pixel_bound(std::get<IntInputOp>(ops[0]), pixel_conv);
    if (bin || px.fits32) {
      std::unique_ptr<BandStage> s;
      if (bin)
        s = std::make_unique<BinaryConvStage>(*conv, in_kind.bits, in, shapes[size_t(i)], digits);
      else
        s = std::make_unique<PixelConvStage>(pixel_conv, px.fits16, std::get<IntInputOp>(ops[0]).mean, in,
                                             shapes[size_t(i)]);
      next = fuse_epilogue(m, next, s->epi);
      return s;
    }
  } else if (auto* p = std::get_if<IntMaxPoolOp>(&ops[size_t(i)]); p && p->size <= kernels::kMaxFusedPoolWindow) {
    return std::make_unique<PoolStage>(*p, in, shapes[size_t(i)]);
  }
  if (int_op_is_pointwise(ops[size_t(i)])) {
    while (next < int(ops.size()) && int_op_is_pointwise(ops[size_t(next)])) ++next;
    return std::make_unique<PointwiseStage>(m);
  }
  return std::make_unique<ReferenceStage>(m, shapes, i);
}

int64_t buffer_bytes(const Buffer& b) {
  int64_t bytes = 0;
  if (b.fmt == BufFmt::Int32) bytes = b.shape.elements() * 4;
  if (b.fmt == BufFmt::Packed) bytes = b.layout.total_bytes();
  if (b.fmt == BufFmt::Pix16)
    bytes = (int64_t(b.shape.c) * (b.shape.h + 2 * b.pix_pad) * (b.shape.w + 2 * b.pix_pad) +
             kernels::pixconv_input_slack(b.pix_stride)) * 2;
  return align_up(bytes, kAlign);
}

}  // namespace

StageList group_stages(const IntModel& m, const std::vector<Shape3>& shapes, const kernels::KernelTable& table,
                       std::vector<Buffer>& buffers) {
  std::vector<ValueKind> kinds(m.ops.size());
  ValueRange range;
  for (size_t i = 0; i < m.ops.size(); ++i) kinds[i] = kind_after(m.ops[i], range = int_op_output_range(m.ops[i], range));

  StageList grouped;
  for (int i = 0, next = 0; i < int(m.ops.size()); i = next) {
    auto s = stage_at(m, shapes, kinds, table, i, next);
    // The one place a grouped stage learns its op range and shapes.
    s->in_shape = i > 0 ? shapes[size_t(i - 1)] : Shape3{};
    s->out_shape = shapes[size_t(next - 1)];
    s->info.op_begin = i;
    s->info.op_end = next;
    s->info.out_shape = s->out_shape;
    grouped.push_back(std::move(s));
  }

  // Each stage's output buffer is the format its consumer reads. A stage
  // that cannot write packed levels gets a pack stage after it.
  StageList planned;
  buffers.clear();
  for (size_t s = 0; s < grouped.size(); ++s) {
    Stage& st = *grouped[s];
    const Stage* next = s + 1 < grouped.size() ? grouped[s + 1].get() : nullptr;
    Buffer b;
    b.shape = st.out_shape;
    const BufFmt want = next ? next->in_fmt : BufFmt::Int32;
    bool need_pack_stage = false;
    if (want == BufFmt::Packed && st.writes_packed(next->in_bits)) {
      b.fmt = BufFmt::Packed;
      b.layout = {b.shape.c, b.shape.h, b.shape.w, next->in_pad, next->in_bits};
    } else if (want == BufFmt::Pix16 && st.writes_pixels()) {
      b.fmt = BufFmt::Pix16;
      b.pix_pad = next->in_pad;
      b.pix_stride = next->in_stride;
    } else {
      if (want == BufFmt::Pix16) throw Error("internal: pixel convolution not fed by the input op");
      need_pack_stage = want == BufFmt::Packed;
    }
    b.bytes = buffer_bytes(b);
    planned.push_back(std::move(grouped[s]));
    buffers.push_back(b);
    if (need_pack_stage) {
      auto p = std::make_unique<PackStage>(b.shape, next->in_bits, next->info.op_begin);
      p->info.out_shape = b.shape;
      Buffer pb;
      pb.shape = b.shape;
      pb.fmt = BufFmt::Packed;
      pb.layout = {b.shape.c, b.shape.h, b.shape.w, next->in_pad, next->in_bits};
      pb.bytes = buffer_bytes(pb);
      planned.push_back(std::move(p));
      buffers.push_back(pb);
    }
  }
  return planned;
}

}  // namespace ifq::fast
