#pragma once
// The stage types (fast_stage.hpp): input, pointwise, reference (exact
// fallback), and the band stages that end in the fused epilogue: binary
// convolution, pixel convolution, pool and pack.
#include "fast_stage.hpp"

namespace ifq::fast {

// uint8 image -> pixel - mean, as int32 or as the zero-bordered int16 planes
// the pixel convolution reads.
class InputStage final : public Stage {
 public:
  explicit InputStage(const IntInputOp& op);
  bool writes_pixels() const override { return true; }
  void run(const StageRun& r) override;

 private:
  std::vector<int32_t> mean_;
};

// A run of pointwise ops applied value by value with the registry's formulas.
class PointwiseStage final : public Stage {
 public:
  explicit PointwiseStage(const IntModel& model);
  void run(const StageRun& r) override;

 private:
  const IntModel& model_;
};

// Any op no fast kernel covers: the reference op itself (exact, allocates).
class ReferenceStage final : public Stage {
 public:
  ReferenceStage(const IntModel& model, const std::vector<Shape3>& shapes, int op);
  void run(const StageRun& r) override;

 private:
  const IntModel& model_;
  const std::vector<Shape3>& shapes_;
};

// The epilogue's fused work: [pool] [threshold], either order (a threshold
// is non-decreasing, so pooling levels equals leveling the pooled value).
struct Epilogue {
  bool pool = false;
  int pool_size = 1, pool_stride = 1, pool_pad = 0;
  std::vector<uint8_t> take_min;
  int thr_bits = 0;
  std::vector<int32_t> thresholds;           // [channels][2^bits - 1]
  std::vector<int32_t> thresholds_by_level;  // [2^bits - 1][channels] (pixel-major accumulators)
  void take_pool(const IntMaxPoolOp& p);
};

// A stage whose tasks each produce a band of output rows through the
// epilogue kernel; subclasses say how a band's input values are made.
class BandStage : public Stage {
 public:
  Epilogue epi;
  Shape3 conv_out;  // the map the epilogue reads (before pooling)
  int out_channels = 0;

  bool writes_packed(int bits) const override { return epi.thr_bits > 0 && epi.thr_bits == bits; }
  void prepare(const Buffer& out, int threads, const kernels::KernelTable& table) override;
  void run(const StageRun& r) override;
  int64_t parameter_bytes() const override;

 protected:
  // Rows of conv_out band [cy0, cy1) into the task's accumulator.
  virtual bool computes_band() const { return false; }
  virtual void compute_band(const StageRun&, int32_t* /*acc*/, uint8_t* /*scratch*/, int /*cy0*/, int /*cy1*/) const {}
  virtual int64_t band_scratch_bytes() const { return 0; }
  virtual bool pixel_major() const { return false; }

  int rows_per_task = 1, tasks = 1, max_band_rows = 0;
  int64_t acc_stride = 0, acc_bytes = 0;
};

// Pool (and pack) of an int32 map already in the arena: the epilogue alone.
class PoolStage final : public BandStage {
 public:
  PoolStage(const IntMaxPoolOp& op, const Shape3& in, const Shape3& out);
};
class PackStage final : public BandStage {
 public:
  PackStage(const Shape3& shape, int bits, int op);
};

// Convolution geometry and accumulator precision shared by both kinds.
struct ConvGeometry {
  int kernel = 1, stride = 1, pad = 0, acc_shift = 0, in_channels = 0, out_channels = 0;
};

// DupNet weight sharing (IntConvOp) and multi-bit weights as the conv stages
// run them: the kernel computes `computed` accumulators per pixel, once;
// expand() combines them into the stage's out_channels accumulators. Only
// used with acc_shift 0 and sums proven to fit int32 (fast_grouping.cpp),
// where that equals the reference.
//
// Binary or pixel weights (`digits` 0): the computed accumulators are the
// stored filters, or for the binary kernel each stored filter's input_repeat
// blocks; output o sums its `repeat` consecutive ones from first[o] and
// applies its sign.
//
// Multi-bit weights as B = `digits` planes of +1/-1 digits (the binary
// kernel): w in [-2^(B-1), 2^(B-1) - 1] has 2w + 1 = Σ_{j<B} 2^j s_j with
// s_j = 2 * bit_j(w + 2^(B-1)) - 1, so on levels x >= 0 (padding 0)
//   Σ w x = (Σ_j 2^j Σ s_j x - Σ x) / 2, exactly (the numerator is even).
// Computed accumulator t * step + u is digit plane t % B of input block
// t / B of stored filter u (step = stored filters, t < repeat = input_repeat * B),
// and accumulator `ones` is one all-(+1) filter (Σ x over a block, the same
// for every filter and block: computed once per pixel). Output o takes
// first[o] = o % step and is
//   sign[o] * ((Σ_t scale[t] * acc[t * step + o % step] + ones_scale * acc[ones]) >> shift)
// with scale[t] = 2^(t % B), ones_scale = -input_repeat, shift 1.
struct SharedFilters {
  bool active = false;
  int computed = 0, repeat = 1;
  std::vector<int32_t> first;  // [out_channels]: its first computed accumulator
  std::vector<int32_t> sign;   // [out_channels]: +1 or -1
  // Digit planes only (empty scale: binary or pixel weights).
  int digits = 0, step = 1, ones = -1, ones_scale = 0, shift = 0;
  std::vector<int32_t> scale;  // [repeat]
  SharedFilters() = default;
  // digits 0: `repeat_blocks` consecutive accumulators per stored filter;
  // digits B >= 1: the planes above (repeat_blocks is then input_repeat).
  SharedFilters(const IntConvOp& op, int repeat_blocks, int digits = 0);
  // Accumulators of `pixels` pixels; pixel-major: [p * stride + channel], else
  // [channel * stride + p] (binary or pixel weights only).
  void expand(const int32_t* computed_acc, int32_t* acc, int64_t pixels, int64_t computed_stride,
              int64_t acc_stride, bool pixel_major) const;
};

// Binary weights, or multi-bit ones as digit planes, on packed k-bit levels
// (bit-serial popcount).
class BinaryConvStage final : public BandStage {
 public:
  // digits 0: +1/-1 weights; B >= 1: integer weights in [-2^(B-1), 2^(B-1) - 1]
  // as B digit planes and an all-(+1) filter (SharedFilters).
  BinaryConvStage(const IntConvOp& op, int in_bits, const Shape3& in, const Shape3& conv_out, int digits = 0);
  // Chooses bconv_band or, for narrow windows on a path that prefers it,
  // bconv_narrow_band (channel-major accumulators), then plans as a band stage.
  void prepare(const Buffer& out, int threads, const kernels::KernelTable& table) override;
  int64_t parameter_bytes() const override;

 protected:
  bool computes_band() const override { return true; }
  void compute_band(const StageRun& r, int32_t* acc, uint8_t* scratch, int cy0, int cy1) const override;
  int64_t band_scratch_bytes() const override;
  bool pixel_major() const override { return !narrow_; }

 private:
  ConvGeometry g_;
  SharedFilters shared_;
  bool narrow_ = false;
  std::vector<uint64_t> wbits_;
  int64_t computed_stride() const { return align_up(shared_.computed, 8); }
  int64_t computed_bytes() const { return align_up(int64_t(max_band_rows) * conv_out.w * computed_stride() * 4, kAlign); }
};

// Integer weights on packed k-bit levels unpacked to bytes (i8conv_band):
// each output's effective filter (input blocks summed, DupNet copies and
// negations applied) as signed bytes around a per-output offset.
class Int8ConvStage final : public BandStage {
 public:
  // Null when an output's weights span more than 256 values, or a sum (or a
  // window's level sum) could leave int32: then the kernel is not exact.
  static std::unique_ptr<Int8ConvStage> make(const IntConvOp& op, int in_bits, const Shape3& in,
                                             const Shape3& conv_out);
  int64_t parameter_bytes() const override;

 protected:
  bool computes_band() const override { return true; }
  void compute_band(const StageRun& r, int32_t* acc, uint8_t* scratch, int cy0, int cy1) const override;
  int64_t band_scratch_bytes() const override;
  bool pixel_major() const override { return true; }

 private:
  Int8ConvStage(const IntConvOp& op, int in_bits, const Shape3& in, const Shape3& conv_out);
  ConvGeometry g_;
  std::vector<int8_t> w8_;        // pack_i8conv_weights() layout
  std::vector<int32_t> offsets_;  // [out_channels]; empty when all are 0
};

// Integer weights on the first layer's pixels (int16 or int32 accumulation).
// A shared-weights conv comes with its input_repeat blocks already summed
// into one (pixel_conv_weights in fast_grouping.cpp).
class PixelConvStage final : public BandStage {
 public:
  // mean: the input op's per-channel means (lets a path run its 8-bit kernel).
  PixelConvStage(const IntConvOp& op, bool use_int16, const std::vector<int32_t>& mean, const Shape3& in,
                 const Shape3& conv_out);
  int64_t parameter_bytes() const override;

 protected:
  bool computes_band() const override { return true; }
  void compute_band(const StageRun& r, int32_t* acc, uint8_t* scratch, int cy0, int cy1) const override;
  int64_t band_scratch_bytes() const override;

 private:
  ConvGeometry g_;
  SharedFilters shared_;
  bool use_int16_ = false;
  std::vector<int32_t> mean_;
  int64_t computed_bytes() const;
  std::vector<int16_t> w16_;
  std::vector<int32_t> w32_;
};

}  // namespace ifq::fast
