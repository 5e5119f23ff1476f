// Convolution stages: a band of conv rows into the task's accumulator, by
// the bit-packed popcount kernel (binary weights on k-bit levels) or the
// pixel kernel (the first layer's integer weights on pixel - mean).
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

void init_conv(BandStage& s, const ConvGeometry& g, const Shape3& in, const Shape3& conv_out) {
  s.in_shape = in;
  s.conv_out = s.out_shape = conv_out;
  s.out_channels = g.out_channels;
  s.in_pad = g.pad;
  s.in_stride = g.stride;
  s.info.macs = int64_t(conv_out.h) * conv_out.w * g.out_channels * g.in_channels * g.kernel * g.kernel;
}

}  // namespace

BinaryConvStage::BinaryConvStage(const IntConvOp& op, int in_bits, const Shape3& in, const Shape3& conv_out)
    : g_(geometry_of(op)) {
  init_conv(*this, g_, in, conv_out);
  in_fmt = BufFmt::Packed;
  this->in_bits = in_bits;
  wbits_ = kernels::group_binary_weights(
      kernels::pack_binary_weights(op.weight.data(), op.out_channels, op.in_channels, op.kernel), op.out_channels,
      kernels::window_words(op.kernel, op.in_channels));
  info.kind = "bconv";
  info.binary_ops = info.macs * in_bits;
  info.label = "bconv " + geometry_label(g_) + " k" + std::to_string(in_bits);
  info.variant = "bconv_" + std::to_string(g_.kernel) + "x" + std::to_string(g_.kernel) + "s" +
                 std::to_string(g_.stride) + "_k" + std::to_string(in_bits);
}

void BinaryConvStage::compute_band(const StageRun& r, int32_t* acc, uint8_t* scratch, int cy0, int cy1) const {
  IFQ_DCHECK(r.in->fmt == BufFmt::Packed && r.in->layout.bits == in_bits && g_.kernel <= kernels::kMaxBinaryKernel);
  kernels::BconvArgs a;
  a.input = r.src;
  a.in = r.in->layout;
  a.kernel = g_.kernel;
  a.stride = g_.stride;
  a.out_w = conv_out.w;
  a.row_begin = cy0;
  a.row_end = cy1;
  a.weights = wbits_.data();
  a.out_channels = g_.out_channels;
  a.acc_shift = g_.acc_shift;
  a.acc = acc;
  a.acc_stride = acc_stride;
  a.scratch = reinterpret_cast<uint64_t*>(scratch);
  r.table->bconv_band(a);
}

int64_t BinaryConvStage::band_scratch_bytes() const {
  return align_up(kernels::bconv_scratch_words(g_.kernel, g_.in_channels, in_bits) * 8, kAlign);
}

int64_t BinaryConvStage::parameter_bytes() const { return BandStage::parameter_bytes() + int64_t(wbits_.size()) * 8; }

PixelConvStage::PixelConvStage(const IntConvOp& op, bool use_int16, const Shape3& in, const Shape3& conv_out)
    : g_(geometry_of(op)), use_int16_(use_int16) {
  init_conv(*this, g_, in, conv_out);
  in_fmt = BufFmt::Pix16;
  if (use_int16)
    w16_.assign(op.weight.begin(), op.weight.end());
  else
    w32_ = op.weight;
  info.kind = "pixconv";
  info.label = "pixconv " + geometry_label(g_);
  info.variant = "pixconv_" + std::to_string(g_.kernel) + "x" + std::to_string(g_.kernel) + "s" +
                 std::to_string(g_.stride) + (use_int16 ? "_i16" : "_i32");
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
  a.out_channels = g_.out_channels;
  a.acc_shift = g_.acc_shift;
  a.acc = acc;
  a.acc_stride = acc_stride;
  a.scratch = reinterpret_cast<int32_t*>(scratch);
  r.table->pixconv_band(a);
}

int64_t PixelConvStage::band_scratch_bytes() const {
  return align_up(kernels::pixconv_scratch_ints(g_.in_channels, g_.kernel) * 4, kAlign);
}

int64_t PixelConvStage::parameter_bytes() const {
  return BandStage::parameter_bytes() + int64_t(w16_.size()) * 2 + int64_t(w32_.size()) * 4;
}

}  // namespace ifq::fast
