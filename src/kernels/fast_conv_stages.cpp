// Convolution stages: a band of conv rows into the task's accumulator, by
// the bit-packed popcount kernel (binary weights on k-bit levels) or the
// pixel kernel (the first layer's integer weights on pixel - mean).
#include <algorithm>
#include <climits>
#include <memory>

#include "fast_stage_types.hpp"

namespace ifq::fast {
namespace {

ConvGeometry geometry_of(const IntConvOp& op) {
  return {op.kernel, op.stride, op.pad, op.acc_shift, op.in_channels, op.out_channels};
}

std::string geometry_label(const ConvGeometry& g) {
  return std::to_string(g.kernel) + "x" + std::to_string(g.kernel) + "/" + std::to_string(g.stride) + " " +
         std::to_string(g.in_channels) + "->" + std::to_string(g.out_channels);
}

// `filters`: the filters the kernel runs (the stored ones, times input_repeat
// for the popcount kernel), which is what the stage computes.
void init_conv(BandStage& s, const ConvGeometry& g, const Shape3& in, const Shape3& conv_out, int filters) {
  s.in_shape = in;
  s.conv_out = s.out_shape = conv_out;
  s.out_channels = g.out_channels;
  s.in_pad = g.pad;
  s.in_stride = g.stride;
  s.info.macs = int64_t(conv_out.h) * conv_out.w * filters * g.in_channels * g.kernel * g.kernel;
}

// The fields both kernels on packed levels (bconv_band, i8conv_band) take
// alike: the input rows of conv rows [cy0, cy1) and the window geometry.
template <class Args>
void set_packed_band(Args& a, const StageRun& r, const ConvGeometry& g, int out_w, int cy0, int cy1) {
  a.input = r.src;
  a.in = r.in->layout;
  a.kernel = g.kernel;
  a.stride = g.stride;
  a.out_w = out_w;
  a.row_begin = cy0;
  a.row_end = cy1;
}

std::string sharing_label(const IntConvOp& op) {
  std::string s;
  if (op.duplicate != 1) s += " dup" + std::to_string(op.duplicate);
  if (op.input_repeat != 1) s += " rep" + std::to_string(op.input_repeat);
  return s;
}

}  // namespace

SharedFilters::SharedFilters(const IntConvOp& op, int repeat_blocks, int digits_)
    : active(op.shares_weights() || digits_ > 0),
      computed(op.stored_filters() * repeat_blocks * std::max(digits_, 1) + (digits_ > 0)),
      repeat(repeat_blocks * std::max(digits_, 1)),
      digits(digits_) {
  const int stored = op.stored_filters();
  first.resize(size_t(op.out_channels));
  sign.resize(size_t(op.out_channels));
  for (int o = 0; o < op.out_channels; ++o) {
    first[size_t(o)] = digits > 0 ? o % stored : (o % stored) * repeat_blocks;
    sign[size_t(o)] = !op.negate.empty() && op.negate[size_t(o)] ? -1 : 1;
  }
  if (digits > 0) {
    step = stored;
    ones = computed - 1;
    ones_scale = -repeat_blocks;
    shift = 1;
    for (int t = 0; t < repeat; ++t) scale.push_back(int32_t(1) << (t % digits));
  }
}

void SharedFilters::expand(const int32_t* in, int32_t* acc, int64_t pixels, int64_t in_stride, int64_t acc_stride,
                           bool pixel_major) const {
  const int channels = int(first.size());
  if (pixel_major && digits > 0) {
    // The stored filters' values once (contiguous over u: vectorises), then
    // the copies, then the first copy's signs.
    for (int64_t p = 0; p < pixels; ++p) {
      const int32_t* src = in + p * in_stride;
      int32_t* dst = acc + p * acc_stride;
      const int32_t base = ones_scale * src[ones];
      for (int u = 0; u < step; ++u) dst[u] = base;
      for (int t = 0; t < repeat; ++t) {
        const int32_t s = scale[size_t(t)];
        const int32_t* plane = src + int64_t(t) * step;
        for (int u = 0; u < step; ++u) dst[u] += s * plane[u];
      }
      for (int u = 0; u < step; ++u) dst[u] >>= shift;
      for (int o = step; o < channels; ++o) dst[o] = sign[size_t(o)] * dst[o % step];
      for (int u = 0; u < step; ++u) dst[u] *= sign[size_t(u)];
    }
    return;
  }
  IFQ_DCHECK(digits == 0);
  if (pixel_major) {
    for (int64_t p = 0; p < pixels; ++p) {
      const int32_t* src = in + p * in_stride;
      int32_t* dst = acc + p * acc_stride;
      for (int o = 0; o < channels; ++o) {
        int32_t sum = 0;
        for (int j = 0; j < repeat; ++j) sum += src[first[size_t(o)] + j];
        dst[o] = sign[size_t(o)] * sum;
      }
    }
    return;
  }
  for (int o = 0; o < channels; ++o) {
    int32_t* dst = acc + int64_t(o) * acc_stride;
    std::fill(dst, dst + pixels, 0);
    for (int j = 0; j < repeat; ++j) {
      const int32_t* src = in + int64_t(first[size_t(o)] + j) * in_stride;
      for (int64_t p = 0; p < pixels; ++p) dst[p] += src[p];
    }
    if (sign[size_t(o)] < 0)
      for (int64_t p = 0; p < pixels; ++p) dst[p] = -dst[p];
  }
}

namespace {

// The +1/-1 filters the binary kernel runs for a multi-bit conv, in
// SharedFilters' order: plane t * U + u is digit t % B of input block t / B
// of stored filter u, then one all-(+1) filter; each C * k * k.
std::vector<int32_t> digit_plane_weights(const IntConvOp& op, int digits) {
  const int U = op.stored_filters(), r = op.input_repeat;
  const int64_t block = int64_t(op.in_channels) * op.kernel * op.kernel;
  const int64_t offset = int64_t(1) << (digits - 1);
  std::vector<int32_t> planes(size_t((int64_t(U) * r * digits + 1) * block));
  for (int u = 0; u < U; ++u)
    for (int b = 0; b < r; ++b)
      for (int j = 0; j < digits; ++j) {
        int32_t* dst = &planes[size_t((int64_t(b * digits + j) * U + u) * block)];
        const int32_t* w = &op.weight[size_t((int64_t(u) * r + b) * block)];
        for (int64_t i = 0; i < block; ++i) dst[i] = ((int64_t(w[i]) + offset) >> j) & 1 ? 1 : -1;
      }
  std::fill(planes.end() - block, planes.end(), 1);
  return planes;
}

}  // namespace

BinaryConvStage::BinaryConvStage(const IntConvOp& op, int in_bits, const Shape3& in, const Shape3& conv_out,
                                 int digits)
    : g_(geometry_of(op)), shared_(op, op.input_repeat, digits) {
  // Stored filters [U][r*C][k][k] are, in memory, U*r binary filters of C
  // channels each, all reading the same packed input; multi-bit ones become
  // U*r*B digit-plane filters and one all-(+1) filter.
  const int filters = shared_.computed;
  std::vector<int32_t> planes;
  if (digits > 0) planes = digit_plane_weights(op, digits);
  init_conv(*this, g_, in, conv_out, digits > 0 ? op.stored_filters() * op.input_repeat : filters);
  in_fmt = BufFmt::Packed;
  this->in_bits = in_bits;
  wbits_ = kernels::group_binary_weights(
      kernels::pack_binary_weights(digits > 0 ? planes.data() : op.weight.data(), filters, op.in_channels, op.kernel),
      filters, kernels::window_words(op.kernel, op.in_channels));
  info.kind = "bconv";
  // macs: the op's; binary_ops: the popcount kernel's (every plane's).
  info.binary_ops = int64_t(conv_out.h) * conv_out.w * filters * g_.in_channels * g_.kernel * g_.kernel * in_bits;
  const std::string weights = digits > 0 ? "_w" + std::to_string(digits) : "";
  info.label = "bconv " + geometry_label(g_) + sharing_label(op) + " k" + std::to_string(in_bits) +
               (digits > 0 ? " w" + std::to_string(digits) : "");
  info.variant = "bconv_" + std::to_string(g_.kernel) + "x" + std::to_string(g_.kernel) + "s" +
                 std::to_string(g_.stride) + "_k" + std::to_string(in_bits) + weights +
                 (op.shares_weights() ? "_shared" : "");
}

void BinaryConvStage::prepare(const Buffer& out, int threads, const kernels::KernelTable& table) {
  // Weight sharing keeps the pixel-major kernel (its expand step reads that layout).
  narrow_ = table.prefer_narrow_bconv && !shared_.active &&
            kernels::bconv_narrow_fits(g_.kernel, g_.in_channels, g_.stride);
  if (narrow_) info.variant += "_narrow";
  BandStage::prepare(out, threads, table);
}

void BinaryConvStage::compute_band(const StageRun& r, int32_t* acc, uint8_t* scratch, int cy0, int cy1) const {
  IFQ_DCHECK(r.in->fmt == BufFmt::Packed && r.in->layout.bits == in_bits && g_.kernel <= kernels::kMaxBinaryKernel);
  kernels::BconvArgs a;
  set_packed_band(a, r, g_, conv_out.w, cy0, cy1);
  a.weights = wbits_.data();
  a.out_channels = shared_.computed;
  a.acc_shift = g_.acc_shift;
  a.acc = acc;
  a.acc_stride = acc_stride;
  a.scratch = reinterpret_cast<uint64_t*>(scratch);
  if (narrow_) {
    IFQ_DCHECK(r.table->prefer_narrow_bconv);
    return r.table->bconv_narrow_band(a);
  }
  if (!shared_.active) return r.table->bconv_band(a);
  // Each stored filter's accumulators once, then one per output.
  auto* computed = reinterpret_cast<int32_t*>(scratch);
  a.acc = computed;
  a.acc_stride = computed_stride();
  a.scratch = reinterpret_cast<uint64_t*>(scratch + computed_bytes());
  r.table->bconv_band(a);
  shared_.expand(computed, acc, int64_t(cy1 - cy0) * conv_out.w, computed_stride(), acc_stride, true);
}

int64_t BinaryConvStage::band_scratch_bytes() const {
  if (narrow_) return 0;
  return align_up(kernels::bconv_scratch_words(g_.kernel, g_.in_channels, in_bits) * 8, kAlign) +
         (shared_.active ? computed_bytes() : 0);
}

int64_t BinaryConvStage::parameter_bytes() const { return BandStage::parameter_bytes() + int64_t(wbits_.size()) * 8; }

PixelConvStage::PixelConvStage(const IntConvOp& op, bool use_int16, const std::vector<int32_t>& mean,
                               const Shape3& in, const Shape3& conv_out)
    : g_(geometry_of(op)), shared_(op, 1), use_int16_(use_int16), mean_(mean) {
  IFQ_DCHECK(op.input_repeat == 1);
  init_conv(*this, g_, in, conv_out, shared_.computed);
  in_fmt = BufFmt::Pix16;
  if (use_int16)
    w16_.assign(op.weight.begin(), op.weight.end());
  else
    w32_ = op.weight;
  info.kind = "pixconv";
  info.label = "pixconv " + geometry_label(g_) + sharing_label(op);
  info.variant = "pixconv_" + std::to_string(g_.kernel) + "x" + std::to_string(g_.kernel) + "s" +
                 std::to_string(g_.stride) + (use_int16 ? "_i16" : "_i32") + (shared_.active ? "_shared" : "");
}

void PixelConvStage::compute_band(const StageRun& r, int32_t* acc, uint8_t* scratch, int cy0, int cy1) const {
  IFQ_DCHECK(r.in->fmt == BufFmt::Pix16 && r.in->pix_pad == g_.pad);
  kernels::PixconvArgs a;
  a.input = reinterpret_cast<const int16_t*>(r.src);
  a.channels = g_.in_channels;
  a.padded_h = r.in->shape.h + 2 * r.in->pix_pad;
  a.padded_w = r.in->shape.w + 2 * r.in->pix_pad;
  a.kernel = g_.kernel;
  a.stride = g_.stride;
  a.out_w = conv_out.w;
  a.row_begin = cy0;
  a.row_end = cy1;
  a.use_int16 = use_int16_;
  a.weights16 = w16_.data();
  a.weights32 = w32_.data();
  a.out_channels = shared_.computed;
  a.acc_shift = g_.acc_shift;
  a.acc = acc;
  a.acc_stride = acc_stride;
  a.scratch = reinterpret_cast<int32_t*>(scratch);
  a.mean = int(mean_.size()) == g_.in_channels ? mean_.data() : nullptr;
  if (!shared_.active) return r.table->pixconv_band(a);
  // Stored filters' accumulators (channel-major, the stage's stride), then one per output.
  auto* computed = reinterpret_cast<int32_t*>(scratch);
  a.acc = computed;
  a.scratch = reinterpret_cast<int32_t*>(scratch + computed_bytes());
  r.table->pixconv_band(a);
  shared_.expand(computed, acc, int64_t(cy1 - cy0) * conv_out.w, acc_stride, acc_stride, false);
}

int64_t PixelConvStage::computed_bytes() const { return align_up(acc_stride * shared_.computed * 4, kAlign); }

int64_t PixelConvStage::band_scratch_bytes() const {
  return align_up(kernels::pixconv_scratch_ints(g_.in_channels, g_.kernel, in_shape.w + 2 * g_.pad, shared_.computed) * 4,
                  kAlign) +
         (shared_.active ? computed_bytes() : 0);
}

int64_t PixelConvStage::parameter_bytes() const {
  return BandStage::parameter_bytes() + int64_t(w16_.size()) * 2 + int64_t(w32_.size()) * 4;
}

}  // namespace ifq::fast

namespace ifq::fast {

Int8ConvStage::Int8ConvStage(const IntConvOp& op, int in_bits, const Shape3& in, const Shape3& conv_out)
    : g_(geometry_of(op)) {
  init_conv(*this, g_, in, conv_out, op.out_channels);
  in_fmt = BufFmt::Packed;
  this->in_bits = in_bits;
  info.kind = "i8conv";
  info.label = "i8conv " + geometry_label(g_) + sharing_label(op) + " k" + std::to_string(in_bits);
  info.variant = "i8conv_" + std::to_string(g_.kernel) + "x" + std::to_string(g_.kernel) + "s" +
                 std::to_string(g_.stride) + "_k" + std::to_string(in_bits) + (op.shares_weights() ? "_shared" : "");
}

std::unique_ptr<Int8ConvStage> Int8ConvStage::make(const IntConvOp& op, int in_bits, const Shape3& in,
                                                   const Shape3& conv_out) {
  if (op.acc_shift != 0 || op.in_channels % 4 != 0 || op.kernel > kernels::kMaxBinaryKernel || in_bits < 1 ||
      in_bits > kernels::kMaxPackedBits)
    return nullptr;
  const int O = op.out_channels, U = op.stored_filters();
  const int64_t block = int64_t(op.in_channels) * op.kernel * op.kernel;
  const int64_t max_level = (int64_t(1) << in_bits) - 1;
  // Σ_window x <= block * max_level must fit int32 (the kernel sums it so).
  if (double(block) * double(max_level) > double(INT32_MAX)) return nullptr;
  const IntConvOp summed = sum_input_blocks(op);  // the kernel reads the input once per filter
  std::vector<int32_t> bytes(size_t(O * block));
  std::vector<int32_t> offsets(static_cast<size_t>(O));
  bool any_offset = false;
  for (int o = 0; o < O; ++o) {
    const int64_t sign = !op.negate.empty() && op.negate[size_t(o)] ? -1 : 1;
    const auto first = summed.weight.begin() + int64_t(o % U) * block;
    std::vector<int64_t> w(first, first + block);
    int64_t lo = 0, hi = 0, abs_sum = 0;
    for (int64_t& v : w) {
      v *= sign;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      abs_sum += v < 0 ? -v : v;
    }
    // The true sum must fit int32: the kernel's arithmetic is modulo 2^32.
    if (hi - lo > 255 || double(abs_sum) * double(max_level) > double(INT32_MAX)) return nullptr;
    // An offset z with every w - z in -128..127 (0 where possible).
    const int64_t z = std::clamp<int64_t>(0, hi - 127, lo + 128);
    offsets[size_t(o)] = int32_t(z);
    any_offset = any_offset || z != 0;
    for (int64_t t = 0; t < block; ++t) bytes[size_t(o * block + t)] = int32_t(w[size_t(t)] - z);
  }
  std::unique_ptr<Int8ConvStage> s(new Int8ConvStage(op, in_bits, in, conv_out));
  s->w8_ = kernels::pack_i8conv_weights(bytes.data(), O, op.in_channels, op.kernel);
  if (any_offset) s->offsets_ = std::move(offsets);
  return s;
}

void Int8ConvStage::compute_band(const StageRun& r, int32_t* acc, uint8_t* scratch, int cy0, int cy1) const {
  IFQ_DCHECK(r.in->fmt == BufFmt::Packed && r.in->layout.bits == in_bits);
  kernels::I8convArgs a;
  set_packed_band(a, r, g_, conv_out.w, cy0, cy1);
  a.weights = w8_.data();
  a.offsets = offsets_.empty() ? nullptr : offsets_.data();
  a.out_channels = g_.out_channels;
  a.acc = acc;
  a.acc_stride = acc_stride;
  a.scratch = scratch;
  r.table->i8conv_band(a);
}

int64_t Int8ConvStage::band_scratch_bytes() const {
  return align_up(kernels::i8conv_scratch_bytes(g_.kernel, g_.stride, max_band_rows, g_.in_channels,
                                                in_shape.w + 2 * g_.pad, conv_out.w),
                  kAlign);
}

int64_t Int8ConvStage::parameter_bytes() const {
  return BandStage::parameter_bytes() + int64_t(w8_.size()) + int64_t(offsets_.size()) * 4;
}

}  // namespace ifq::fast
