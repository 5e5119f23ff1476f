/*
 * ifq_micro runtime: see ifq_micro.h for the execution model. C99, integer
 * only; the only library call is memcpy (element access without aliasing or
 * alignment assumptions).
 */
#include "ifq_micro.h"

#include <string.h>

/* ---- integer helpers (portable: no implementation-defined shifts) ---- */

static int32_t sat32(int64_t v) {
  if (v > (int64_t)INT32_MAX) return INT32_MAX;
  if (v < (int64_t)INT32_MIN) return INT32_MIN;
  return (int32_t)v;
}

/* floor(v / 2^s) for 0 <= s <= 62: the arithmetic right shift the C++
 * reference uses, written so that it does not depend on how this compiler
 * shifts negative numbers. */
static int64_t floor_shift(int64_t v, int32_t s) {
  if (v >= 0) return v >> s;
  return -1 - ((-1 - v) >> s);
}

/* int64 arithmetic that wraps modulo 2^64 instead of overflowing. The
 * reference accumulates convolutions modulo 2^64 on purpose, and its int64
 * products and sums (which converter-produced models never overflow) wrap in
 * practice; doing the same here keeps even a hostile model byte-identical and
 * free of undefined behaviour. */
static int64_t wrap_i64(uint64_t u) {
  if (u <= (uint64_t)INT64_MAX) return (int64_t)u;
  return -(int64_t)(~u) - 1;
}

static int64_t mul_wrap(int64_t a, int64_t b) { return wrap_i64((uint64_t)a * (uint64_t)b); }

static int64_t add_wrap(int64_t a, int64_t b) { return wrap_i64((uint64_t)a + (uint64_t)b); }

/* ---- stored tensors ---- */

int32_t ifq_tensor_get(const ifq_tensor *t, const void *arena, int32_t i) {
  const uint8_t *p = (const uint8_t *)arena + t->offset;
  switch (t->elem) {
    case IFQ_ELEM_U8:
      return p[i];
    case IFQ_ELEM_I8:
      return (int8_t)p[i];
    case IFQ_ELEM_I16: {
      int16_t v;
      memcpy(&v, p + 2 * (size_t)i, sizeof v);
      return v;
    }
    default: {
      int32_t v;
      memcpy(&v, p + 4 * (size_t)i, sizeof v);
      return v;
    }
  }
}

static void tensor_set(const ifq_tensor *t, void *arena, int32_t i, int32_t v) {
  uint8_t *p = (uint8_t *)arena + t->offset;
  switch (t->elem) {
    case IFQ_ELEM_U8:
      p[i] = (uint8_t)v;
      break;
    case IFQ_ELEM_I8:
      p[i] = (uint8_t)(int8_t)v;
      break;
    case IFQ_ELEM_I16: {
      int16_t s = (int16_t)v;
      memcpy(p + 2 * (size_t)i, &s, sizeof s);
      break;
    }
    default:
      memcpy(p + 4 * (size_t)i, &v, sizeof v);
      break;
  }
}

/* ---- one segment, evaluated element by element ---- */

typedef struct {
  const uint8_t *arena;
  const ifq_tensor *in;
  const ifq_op *ops;
} ifq_ctx;

static int32_t weight_at(const ifq_conv_params *p, uint32_t j) {
  switch (p->weight_format) {
    case IFQ_WEIGHT_BIT:
      return ((((const uint8_t *)p->weights)[j >> 3] >> (j & 7u)) & 1u) ? 1 : -1;
    case IFQ_WEIGHT_I8:
      return ((const int8_t *)p->weights)[j];
    case IFQ_WEIGHT_I16:
      return ((const int16_t *)p->weights)[j];
    default:
      return ((const int32_t *)p->weights)[j];
  }
}

/* The dominant case on a microcontroller: binary weights on byte-sized
 * levels (or the raw image) with a proven 32-bit sum. Bits are read in
 * order and the sign applied without a branch: (v ^ m) - m is v for m = 0
 * and -v for m = -1. */
static int32_t conv_bits_u8(const uint8_t *in, const int32_t *subs, const uint8_t *bits, int32_t C, int32_t H,
                            int32_t W, int32_t kh, int32_t kw, uint32_t wbase, int32_t y0, int32_t x0, int32_t ky0,
                            int32_t ky1, int32_t kx0, int32_t kx1) {
  int32_t acc = 0, ic, ky, kx;
  for (ic = 0; ic < C; ++ic) {
    const int32_t sub = subs ? subs[ic] : 0;
    for (ky = ky0; ky < ky1; ++ky) {
      const uint8_t *row = in + ((ic * H + y0 + ky) * W + x0);
      uint32_t j = wbase + ((uint32_t)ic * (uint32_t)kh + (uint32_t)ky) * (uint32_t)kw + (uint32_t)kx0;
      for (kx = kx0; kx < kx1; ++kx, ++j) {
        const int32_t v = (int32_t)row[kx] - sub;
        const int32_t m = (int32_t)((bits[j >> 3] >> (j & 7u)) & 1u) - 1; /* 0 for +1, -1 for -1 */
        acc += (v ^ m) - m;
      }
    }
  }
  return acc;
}

/* One convolution output: sum over the input window; padded positions
 * contribute zero (the padding value is 0 after the mean is removed), so
 * the window is clipped to the input once instead of tested per element. */
static int32_t conv_at(const ifq_ctx *ctx, const ifq_conv_params *p, int32_t out_c, int32_t c, int32_t y,
                       int32_t x) {
  const ifq_tensor *t = ctx->in;
  const int32_t C = t->shape.c, H = t->shape.h, W = t->shape.w;
  const int32_t y0 = y * p->stride - p->pad, x0 = x * p->stride - p->pad;
  const int32_t ky0 = y0 < 0 ? -y0 : 0, kx0 = x0 < 0 ? -x0 : 0;
  const int32_t ky1 = H - y0 < p->kh ? H - y0 : p->kh, kx1 = W - x0 < p->kw ? W - x0 : p->kw;
  const int32_t dup = p->duplicate > 1 ? p->duplicate : 1, rep = p->input_repeat > 1 ? p->input_repeat : 1;
  const uint32_t block = (uint32_t)C * (uint32_t)p->kh * (uint32_t)p->kw; /* one input_repeat block */
  const uint32_t filter = (uint32_t)(c % (out_c / dup)) * (uint32_t)rep * block;
  const int neg = p->negate && p->negate[c];
  uint64_t acc64 = 0; /* modulo 2^64, as the reference */
  int32_t acc32 = 0;
  int32_t r, ic, ky, kx;
  for (r = 0; r < rep; ++r) {
    const uint32_t wbase = filter + (uint32_t)r * block;
    if (p->acc32 && p->weight_format == IFQ_WEIGHT_BIT && t->elem == IFQ_ELEM_U8) {
      acc32 += conv_bits_u8(ctx->arena + t->offset, t->sub, (const uint8_t *)p->weights, C, H, W, p->kh, p->kw,
                            wbase, y0, x0, ky0, ky1, kx0, kx1);
      continue;
    }
    for (ic = 0; ic < C; ++ic) {
      const int32_t sub = t->sub ? t->sub[ic] : 0;
      for (ky = ky0; ky < ky1; ++ky) {
        const int32_t row = (ic * H + y0 + ky) * W + x0;
        const uint32_t wrow = wbase + ((uint32_t)ic * (uint32_t)p->kh + (uint32_t)ky) * (uint32_t)p->kw;
        for (kx = kx0; kx < kx1; ++kx) {
          const int32_t v = ifq_tensor_get(t, ctx->arena, row + kx) - sub;
          const int32_t w = weight_at(p, wrow + (uint32_t)kx);
          if (p->acc32)
            acc32 += w * v;
          else
            acc64 += (uint64_t)((int64_t)w * (int64_t)v);
        }
      }
    }
  }
  /* acc_shift is 0 whenever acc32 is set; |acc| < 2^31 is proven, so -acc fits */
  if (p->acc32) return neg ? -acc32 : acc32;
  if (neg) acc64 = 0u - acc64;
  return sat32(floor_shift(wrap_i64(acc64), p->acc_shift));
}

static const ifq_shape *shape_before(const ifq_ctx *ctx, int32_t level) {
  return level == 0 ? &ctx->in->shape : &ctx->ops[level - 1].out;
}

/* The value of ops[level]'s output at (c, y, x). Recursion depth is the
 * segment length (a handful of ops). */
static int32_t eval(const ifq_ctx *ctx, int32_t level, int32_t c, int32_t y, int32_t x) {
  const ifq_op *op = &ctx->ops[level];
  switch (op->kind) {
    case IFQ_OP_INPUT: {
      const ifq_tensor *t = ctx->in;
      const int32_t i = (c * t->shape.h + y) * t->shape.w + x;
      return ifq_tensor_get(t, ctx->arena, i) - (t->sub ? t->sub[c] : 0);
    }
    case IFQ_OP_CONV:
      return conv_at(ctx, (const ifq_conv_params *)op->params, op->out.c, c, y, x);
    case IFQ_OP_MAXPOOL: {
      /* Darknet geometry: `pad` is the total padding, begin = pad / 2;
       * padded positions never win. */
      const ifq_pool_params *p = (const ifq_pool_params *)op->params;
      const ifq_shape *s = shape_before(ctx, level);
      const int take_min = p->take_min != NULL && p->take_min[c] != 0;
      const int32_t y0 = y * p->stride - p->pad / 2, x0 = x * p->stride - p->pad / 2;
      int32_t best = take_min ? INT32_MAX : INT32_MIN;
      int32_t dy, dx;
      for (dy = 0; dy < p->size; ++dy) {
        const int32_t iy = y0 + dy;
        if (iy < 0 || iy >= s->h) continue;
        for (dx = 0; dx < p->size; ++dx) {
          const int32_t ix = x0 + dx;
          int32_t v;
          if (ix < 0 || ix >= s->w) continue;
          v = eval(ctx, level - 1, c, iy, ix);
          if (take_min ? v < best : v > best) best = v;
        }
      }
      return best;
    }
    default:
      break;
  }
  {
    const int32_t v = eval(ctx, level - 1, c, y, x);
    switch (op->kind) {
      case IFQ_OP_THRESHOLD: {
        const ifq_threshold_params *p = (const ifq_threshold_params *)op->params;
        const int32_t *t = p->thresholds + c * p->count;
        int32_t level_out = 0, i;
        for (i = 0; i < p->count; ++i) level_out += v > t[i];
        return level_out;
      }
      case IFQ_OP_QUANT: {
        const ifq_quant_params *p = (const ifq_quant_params *)op->params;
        int32_t level_out = 0, i;
        for (i = 0; i < p->count; ++i) level_out += (int64_t)v > p->thresholds[i];
        return level_out;
      }
      case IFQ_OP_REQUANT: {
        const ifq_requant_params *p = (const ifq_requant_params *)op->params;
        return sat32(add_wrap(floor_shift(mul_wrap(v, p->multiplier[c]), p->shift), p->bias[c]));
      }
      case IFQ_OP_BATCHNORM: {
        const ifq_batchnorm_params *p = (const ifq_batchnorm_params *)op->params;
        const int64_t centred = wrap_i64((uint64_t)(int64_t)v - (uint64_t)p->mean[c]);
        return sat32(add_wrap(floor_shift(mul_wrap(centred, p->scale[c]), p->shift), p->beta[c]));
      }
      case IFQ_OP_RELU:
        return v < 0 ? 0 : v;
      case IFQ_OP_LEAKY: {
        const ifq_leaky_params *p = (const ifq_leaky_params *)op->params;
        return v < 0 ? sat32(floor_shift(mul_wrap(v, p->multiplier), p->shift)) : v;
      }
      case IFQ_OP_CLAMP: {
        const ifq_clamp_params *p = (const ifq_clamp_params *)op->params;
        return v < p->lo ? p->lo : v > p->hi ? p->hi : v;
      }
      default:
        return v;
    }
  }
}

/* ---- public entry points ---- */

uint8_t *ifq_input(const ifq_model *model, void *arena) {
  return (uint8_t *)arena + model->tensors[0].offset;
}

int ifq_run_segments(const ifq_model *model, void *arena, size_t arena_bytes, int32_t first,
                     int32_t last) {
  int32_t s;
  if (model->abi != IFQ_MICRO_ABI) return IFQ_ERR_VERSION;
  if (arena_bytes < model->arena_bytes) return IFQ_ERR_ARENA_SIZE;
  if (((uintptr_t)arena & 3u) != 0) return IFQ_ERR_ARENA_ALIGN;
  if (first < 0 || last > model->n_segments || first > last) return IFQ_ERR_RANGE;
  for (s = first; s < last; ++s) {
    int32_t k;
    for (k = 0; k < model->segments[s].n_ops; ++k)
      if (model->segments[s].ops[k].kind < 0 || model->segments[s].ops[k].kind >= IFQ_OP_KINDS) return IFQ_ERR_OP;
  }
  for (s = first; s < last; ++s) {
    const ifq_segment *seg = &model->segments[s];
    const ifq_tensor *out = &model->tensors[seg->out];
    ifq_ctx ctx;
    int32_t c, y, x, i = 0;
    ctx.arena = (const uint8_t *)arena;
    ctx.in = &model->tensors[seg->in];
    ctx.ops = seg->ops;
    for (c = 0; c < out->shape.c; ++c)
      for (y = 0; y < out->shape.h; ++y)
        for (x = 0; x < out->shape.w; ++x) tensor_set(out, arena, i++, eval(&ctx, seg->n_ops - 1, c, y, x));
  }
  return IFQ_OK;
}

int ifq_run(const ifq_model *model, void *arena, size_t arena_bytes) {
  return ifq_run_segments(model, arena, arena_bytes, 0, model->n_segments);
}

void ifq_read_output(const ifq_model *model, const void *arena, int32_t *dst) {
  const ifq_tensor *t = &model->tensors[model->n_tensors - 1];
  const size_t n = (size_t)t->shape.c * (size_t)t->shape.h * (size_t)t->shape.w;
  memcpy(dst, (const uint8_t *)arena + t->offset, n * sizeof(int32_t));
}
