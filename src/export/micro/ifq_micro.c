/*
 * ifq_micro runtime: see ifq_micro.h for the execution model. C99, integer
 * only; the only library call is memcpy (element access without aliasing or
 * alignment assumptions).
 */
#include "ifq_micro.h"

#include <string.h>

/* Small helpers of the inner loops are inlined even at -Os, where GCC would
 * otherwise call them once per word. */
/* The kernels themselves are kept out of line: inlined into the recursive
 * evaluator they would share its registers and spill their accumulators. */
#if defined(__GNUC__) || defined(__clang__)
#define IFQ_INLINE static inline __attribute__((always_inline))
#define IFQ_KERNEL static __attribute__((noinline))
#else
#define IFQ_INLINE static
#define IFQ_KERNEL static
#endif

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

/* Word loads and stores in the arena go through memcpy: no aliasing or
 * alignment assumption about the caller's buffer (compilers emit one
 * load/store for it where the target allows). */
IFQ_INLINE uint32_t load_u32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

static void store_u32(uint8_t *p, uint32_t v) { memcpy(p, &v, sizeof v); }

IFQ_INLINE int32_t words_per_plane(int32_t channels) { return (channels + 31) / 32; }

/* Bytes of a stored tensor (what ifq_run_segments clears before writing bit planes). */
static size_t tensor_bytes(const ifq_tensor *t) {
  const size_t pixels = (size_t)t->shape.h * (size_t)t->shape.w;
  switch (t->elem) {
    case IFQ_ELEM_U8:
    case IFQ_ELEM_I8:
      return pixels * (size_t)t->shape.c;
    case IFQ_ELEM_I16:
      return 2 * pixels * (size_t)t->shape.c;
    case IFQ_ELEM_PLANES:
      return 4 * pixels * (size_t)t->planes * (size_t)words_per_plane(t->shape.c);
    default:
      return 4 * pixels * (size_t)t->shape.c;
  }
}

/* Byte offset of the word holding channel c of pixel (y, x) in plane 0;
 * plane b's word follows at + 4 * b. */
static size_t plane_word(const ifq_tensor *t, int32_t c, int32_t y, int32_t x) {
  const size_t pixel = (size_t)y * (size_t)t->shape.w + (size_t)x;
  return 4 * ((pixel * (size_t)words_per_plane(t->shape.c) + (size_t)(c / 32)) * (size_t)t->planes);
}

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
    case IFQ_ELEM_PLANES: {
      const int32_t hw = t->shape.h * t->shape.w, c = i / hw, y = (i % hw) / t->shape.w, x = i % t->shape.w;
      const uint8_t *word = p + plane_word(t, c, y, x);
      int32_t level = 0, b;
      for (b = 0; b < t->planes; ++b) level |= (int32_t)((load_u32(word + 4 * (size_t)b) >> (c % 32)) & 1u) << b;
      return level;
    }
    default: {
      int32_t v;
      memcpy(&v, p + 4 * (size_t)i, sizeof v);
      return v;
    }
  }
}

/* Element (c, y, x) := v. Bit planes are OR-ed in: the caller cleared them. */
static void tensor_set(const ifq_tensor *t, void *arena, int32_t c, int32_t y, int32_t x, int32_t v) {
  uint8_t *p = (uint8_t *)arena + t->offset;
  const size_t i = ((size_t)c * (size_t)t->shape.h + (size_t)y) * (size_t)t->shape.w + (size_t)x;
  switch (t->elem) {
    case IFQ_ELEM_U8:
      p[i] = (uint8_t)v;
      break;
    case IFQ_ELEM_I8:
      p[i] = (uint8_t)(int8_t)v;
      break;
    case IFQ_ELEM_I16: {
      int16_t s = (int16_t)v;
      memcpy(p + 2 * i, &s, sizeof s);
      break;
    }
    case IFQ_ELEM_PLANES: {
      uint8_t *word = p + plane_word(t, c, y, x);
      const uint32_t bit = 1u << (c % 32);
      int32_t b;
      for (b = 0; b < t->planes; ++b, word += 4)
        if ((v >> b) & 1) store_u32(word, load_u32(word) | bit);
      break;
    }
    default:
      memcpy(p + 4 * i, &v, sizeof v);
      break;
  }
}

/* ---- one segment, evaluated element by element ---- */

/* A conv on the raw image whose window holds at most this many values
 * (3 channels x 3 x 3 = 27) copies each window's mean-removed values, zero
 * where padded, into a patch: its filters then run a flat dot product over
 * it instead of re-reading and clipping the image each. */
#define IFQ_PATCH_VALUES 32

typedef struct {
  const uint8_t *arena;
  const ifq_tensor *in;
  const ifq_op *ops;
  /* Set at segment start for its conv (ops[0]), so each output reuses them. */
  int32_t filters;         /* stored filters: out_c / duplicate */
  const uint8_t *planes;   /* bit-plane input: its first byte in the arena */
  int32_t wpp;             /* bit-plane input: words per plane (ceil(C / 32)) */
  size_t pixel_bytes;      /* bit-plane input: bytes per pixel */
  int32_t patch_size;      /* > 0: byte input whose windows are copied as patches (the first layer) */
  int16_t patch[IFQ_PATCH_VALUES];
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

/* A conv window clipped to the input: input rows y0 + [ky0, ky1), columns
 * x0 + [kx0, kx1). Padded positions contribute zero (the padding value is 0
 * after the mean is removed), so they are skipped rather than tested. */
typedef struct {
  int32_t y0, x0, ky0, ky1, kx0, kx1;
} ifq_window;

/* Binary weights on bytes (the raw image): bits read in order, the sign
 * applied without a branch: (v ^ m) - m is v for m = 0 and -v for m = -1. */
IFQ_KERNEL int32_t conv_bits_u8(const uint8_t *in, const int32_t *subs, const uint8_t *bits, const ifq_shape *s,
                            int32_t kh, int32_t kw, uint32_t wbase, const ifq_window *win) {
  int32_t acc = 0, ic, ky, kx;
  for (ic = 0; ic < s->c; ++ic) {
    const int32_t sub = subs ? subs[ic] : 0;
    for (ky = win->ky0; ky < win->ky1; ++ky) {
      const uint8_t *row = in + ((ic * s->h + win->y0 + ky) * s->w + win->x0 + win->kx0);
      uint32_t j = wbase + ((uint32_t)ic * (uint32_t)kh + (uint32_t)ky) * (uint32_t)kw + (uint32_t)win->kx0;
      for (kx = win->kx0; kx < win->kx1; ++kx, ++j) {
        const int32_t v = (int32_t)row[kx - win->kx0] - sub;
        const int32_t m = (int32_t)((bits[j >> 3] >> (j & 7u)) & 1u) - 1; /* 0 for +1, -1 for -1 */
        acc += (v ^ m) - m;
      }
    }
  }
  return acc;
}

/* int8 weights on bytes: the first layer (binary weights reading the image
 * are exported as int8, about half the instructions of bit extraction).
 * Rows are walked by pointer; a whole 3-wide row is unrolled. */
IFQ_KERNEL int32_t conv_i8_u8(const uint8_t *in, const int32_t *subs, const int8_t *weights, const ifq_shape *s,
                              int32_t kh, int32_t kw, uint32_t wbase, const ifq_window *win) {
  const int32_t n = win->kx1 - win->kx0, rows = win->ky1 - win->ky0, W = s->w;
  int32_t acc = 0, ic, r, kx;
  for (ic = 0; ic < s->c; ++ic) {
    const int32_t sub = subs ? subs[ic] : 0;
    const uint8_t *row = in + ((ic * s->h + win->y0 + win->ky0) * W + win->x0 + win->kx0);
    const int8_t *w = weights + wbase + ((uint32_t)ic * (uint32_t)kh + (uint32_t)win->ky0) * (uint32_t)kw + win->kx0;
    if (n == 3) { /* a whole 3-wide row, the common first layer */
      for (r = 0; r < rows; ++r, row += W, w += kw)
        acc += w[0] * ((int32_t)row[0] - sub) + w[1] * ((int32_t)row[1] - sub) + w[2] * ((int32_t)row[2] - sub);
      continue;
    }
    for (r = 0; r < rows; ++r, row += W, w += kw)
      for (kx = 0; kx < n; ++kx) acc += (int32_t)w[kx] * ((int32_t)row[kx] - sub);
  }
  return acc;
}

/* Popcount. With a popcount instruction (x86 POPCNT, AArch64) the compiler
 * builtin; elsewhere the portable SWAR reduction (Cortex-M has no popcount
 * instruction, and GCC's builtin there is a call to libgcc's __popcountsi2):
 * about ten instructions on Thumb-2, one of them a multiply. Define
 * IFQ_MICRO_BUILTIN_POPCOUNT as 0 or 1 to choose. */
#ifndef IFQ_MICRO_BUILTIN_POPCOUNT
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__POPCNT__) || defined(__aarch64__))
#define IFQ_MICRO_BUILTIN_POPCOUNT 1
#else
#define IFQ_MICRO_BUILTIN_POPCOUNT 0
#endif
#endif

#if !IFQ_MICRO_BUILTIN_POPCOUNT
/* Each 4-bit field of v replaced by the number of its bits set (0..4). */
IFQ_INLINE uint32_t nibble_counts(uint32_t v) {
  v = v - ((v >> 1) & 0x55555555u);
  return (v & 0x33333333u) + ((v >> 2) & 0x33333333u);
}

/* The sum of v's eight 4-bit fields, each at most 12 (so bytes stay below 256). */
IFQ_INLINE int32_t sum_nibbles(uint32_t v) {
  v = (v & 0x0f0f0f0fu) + ((v >> 4) & 0x0f0f0f0fu);
  return (int32_t)((v * 0x01010101u) >> 24);
}

#endif

IFQ_INLINE int32_t popcount32(uint32_t v) {
#if IFQ_MICRO_BUILTIN_POPCOUNT
  return __builtin_popcount(v);
#else
  return sum_nibbles(nibble_counts(v));
#endif
}

/* popcount(a) + 2 * popcount(b): per 4-bit field at most 4 + 2 * 4 = 12,
 * so the two counts share one fold. */
IFQ_INLINE int32_t popcount_pair(uint32_t a, uint32_t b) {
#if IFQ_MICRO_BUILTIN_POPCOUNT
  return __builtin_popcount(a) + 2 * __builtin_popcount(b);
#else
  return sum_nibbles(nibble_counts(a) + (nibble_counts(b) << 1));
#endif
}

/* sum over the window of sum_b 2^b popcount(x_b & w): the input's pixels
 * hold their words plane-interleaved and a filter's taps follow each other,
 * so one window row is a flat run of n weight words and n * planes input
 * words. The weights advance by w_step words per word: 1 for a filter, 0 for
 * a single all-ones word (the window's sum of levels). */
IFQ_KERNEL int32_t window_ones(const ifq_ctx *ctx, const uint32_t *w, int32_t w_step, int32_t kw,
                               const ifq_window *win) {
  const int32_t planes = ctx->in->planes, wpp = ctx->wpp, n = (win->kx1 - win->kx0) * wpp;
  const size_t row_bytes = (size_t)ctx->in->shape.w * ctx->pixel_bytes, w_row = (size_t)(w_step * kw * wpp);
  const uint8_t *x_row = ctx->planes + (size_t)(win->y0 + win->ky0) * row_bytes +
                         (size_t)(win->x0 + win->kx0) * ctx->pixel_bytes;
  const uint32_t *w_first = w + (size_t)w_step * ((size_t)win->ky0 * (size_t)kw + (size_t)win->kx0) * (size_t)wpp;
  int32_t ones = 0, ky, i, b;
  for (ky = win->ky0; ky < win->ky1; ++ky, x_row += row_bytes, w_first += w_row) {
    const uint8_t *x = x_row;
    const uint32_t *wt = w_first;
    if (planes == 2) { /* the paper's 2-bit activations */
      for (i = 0; i < n; ++i, x += 8, wt += w_step) ones += popcount_pair(load_u32(x) & *wt, load_u32(x + 4) & *wt);
    } else {
      for (i = 0; i < n; ++i, wt += w_step)
        for (b = 0; b < planes; ++b, x += 4) ones += popcount32(load_u32(x) & *wt) << b;
    }
  }
  return ones;
}

/* The image window of a conv output, mean removed, zero where padded, in
 * the weights' [channel][ky][kx] order (see IFQ_PATCH_VALUES). */
IFQ_KERNEL void fill_patch(const ifq_ctx *ctx, const ifq_conv_params *p, const ifq_window *win, int16_t *patch) {
  const ifq_tensor *t = ctx->in;
  const int whole = win->ky0 == 0 && win->kx0 == 0 && win->ky1 == p->kh && win->kx1 == p->kw;
  int32_t ic, ky, kx;
  for (ic = 0; ic < t->shape.c; ++ic) {
    const int32_t sub = t->sub ? t->sub[ic] : 0;
    if (whole) { /* the common case: no padding to test for */
      const uint8_t *row = ctx->arena + t->offset + (size_t)((ic * t->shape.h + win->y0) * t->shape.w + win->x0);
      for (ky = 0; ky < p->kh; ++ky, row += t->shape.w)
        for (kx = 0; kx < p->kw; ++kx) *patch++ = (int16_t)((int32_t)row[kx] - sub);
      continue;
    }
    for (ky = 0; ky < p->kh; ++ky) {
      const int inside = ky >= win->ky0 && ky < win->ky1;
      /* formed only for rows inside the image: a pointer before it is undefined */
      const uint8_t *row = inside ? ctx->arena + t->offset + (size_t)((ic * t->shape.h + win->y0 + ky) * t->shape.w) : NULL;
      for (kx = 0; kx < p->kw; ++kx)
        *patch++ = (int16_t)(inside && kx >= win->kx0 && kx < win->kx1 ? (int32_t)row[win->x0 + kx] - sub : 0);
    }
  }
}

IFQ_INLINE int32_t dot_patch(const int8_t *w, const int16_t *patch, int32_t n) {
  int32_t acc = 0, i;
  for (i = 0; i + 3 <= n; i += 3) acc += w[i] * patch[i] + w[i + 1] * patch[i + 1] + w[i + 2] * patch[i + 2];
  for (; i < n; ++i) acc += w[i] * patch[i];
  return acc;
}

/* int8 weights on a patch of the image (see IFQ_PATCH_VALUES). */
IFQ_KERNEL int32_t conv_patch(ifq_ctx *ctx, const ifq_conv_params *p, uint32_t filter, const ifq_window *win) {
  fill_patch(ctx, p, win, ctx->patch);
  return dot_patch((const int8_t *)p->weights + filter * (uint32_t)ctx->patch_size, ctx->patch, ctx->patch_size);
}

/* Binary weights (bit 1 = +1) on bit-plane levels x = sum_b 2^b x_b:
 *   sum w * x = sum_b 2^b (popcount(x_b & w) - popcount(x_b & ~w))
 *             = 2 * sum_b 2^b popcount(x_b & w) - (sum of the window's levels).
 * The window sum is the same for every filter (conv_sums computes it once). */
static const uint32_t all_ones = 0xffffffffu;

IFQ_KERNEL int32_t conv_planes(const ifq_ctx *ctx, const ifq_conv_params *p, uint32_t filter, const ifq_window *win) {
  const size_t filter_words = (size_t)p->kh * (size_t)p->kw * (size_t)ctx->wpp;
  const int32_t levels = window_ones(ctx, &all_ones, 0, p->kw, win);
  const int32_t ones = window_ones(ctx, (const uint32_t *)p->weights + filter * filter_words, 1, p->kw, win);
  /* |result| < 2^31 is proven by the exporter; 2 * ones alone may not be */
  return (int32_t)(2 * (int64_t)ones - levels);
}

/* The 32-bit sum of stored filter `filter` at a window of a byte or wider
 * input (acc32: the exporter proved |acc| < 2^31, acc_shift is 0). */
IFQ_KERNEL int32_t conv_sum32(const ifq_ctx *ctx, const ifq_conv_params *p, uint32_t filter, const ifq_window *win) {
  const ifq_tensor *t = ctx->in;
  const int32_t rep = p->input_repeat > 1 ? p->input_repeat : 1;
  const uint32_t block = (uint32_t)t->shape.c * (uint32_t)p->kh * (uint32_t)p->kw; /* one input_repeat block */
  int32_t acc = 0, r, ic, ky, kx;
  for (r = 0; r < rep; ++r) {
    const uint32_t wbase = (filter * (uint32_t)rep + (uint32_t)r) * block;
    if (t->elem == IFQ_ELEM_U8 && p->weight_format == IFQ_WEIGHT_BIT) {
      acc += conv_bits_u8(ctx->arena + t->offset, t->sub, (const uint8_t *)p->weights, &t->shape, p->kh, p->kw, wbase,
                          win);
      continue;
    }
    if (t->elem == IFQ_ELEM_U8 && p->weight_format == IFQ_WEIGHT_I8) {
      acc += conv_i8_u8(ctx->arena + t->offset, t->sub, (const int8_t *)p->weights, &t->shape, p->kh, p->kw, wbase,
                        win);
      continue;
    }
    for (ic = 0; ic < t->shape.c; ++ic) {
      const int32_t sub = t->sub ? t->sub[ic] : 0;
      for (ky = win->ky0; ky < win->ky1; ++ky) {
        const int32_t row = (ic * t->shape.h + win->y0 + ky) * t->shape.w + win->x0;
        const uint32_t wrow = wbase + ((uint32_t)ic * (uint32_t)p->kh + (uint32_t)ky) * (uint32_t)p->kw;
        for (kx = win->kx0; kx < win->kx1; ++kx)
          acc += weight_at(p, wrow + (uint32_t)kx) * (ifq_tensor_get(t, ctx->arena, row + kx) - sub);
      }
    }
  }
  return acc;
}

/* The sum without a proven 32-bit bound: 64 bits modulo 2^64 as the
 * reference, then shifted by acc_shift and saturated. */
IFQ_KERNEL int32_t conv_wide(const ifq_ctx *ctx, const ifq_conv_params *p, uint32_t filter, int neg,
                             const ifq_window *win) {
  const ifq_tensor *t = ctx->in;
  const int32_t rep = p->input_repeat > 1 ? p->input_repeat : 1;
  const uint32_t block = (uint32_t)t->shape.c * (uint32_t)p->kh * (uint32_t)p->kw;
  uint64_t acc64 = 0;
  int32_t r, ic, ky, kx;
  for (r = 0; r < rep; ++r) {
    const uint32_t wbase = (filter * (uint32_t)rep + (uint32_t)r) * block;
    for (ic = 0; ic < t->shape.c; ++ic) {
      const int32_t sub = t->sub ? t->sub[ic] : 0;
      for (ky = win->ky0; ky < win->ky1; ++ky) {
        const int32_t row = (ic * t->shape.h + win->y0 + ky) * t->shape.w + win->x0;
        const uint32_t wrow = wbase + ((uint32_t)ic * (uint32_t)p->kh + (uint32_t)ky) * (uint32_t)p->kw;
        for (kx = win->kx0; kx < win->kx1; ++kx) {
          const int64_t v = ifq_tensor_get(t, ctx->arena, row + kx) - sub;
          acc64 += (uint64_t)((int64_t)weight_at(p, wrow + (uint32_t)kx) * v);
        }
      }
    }
  }
  if (neg) acc64 = 0u - acc64;
  return sat32(floor_shift(wrap_i64(acc64), p->acc_shift));
}

/* The window of conv output (y, x), clipped to the input of shape s. */
static ifq_window window_at(const ifq_conv_params *p, const ifq_shape *s, int32_t y, int32_t x) {
  ifq_window win;
  win.y0 = y * p->stride - p->pad;
  win.x0 = x * p->stride - p->pad;
  win.ky0 = win.y0 < 0 ? -win.y0 : 0;
  win.kx0 = win.x0 < 0 ? -win.x0 : 0;
  win.ky1 = s->h - win.y0 < p->kh ? s->h - win.y0 : p->kh;
  win.kx1 = s->w - win.x0 < p->kw ? s->w - win.x0 : p->kw;
  return win;
}

/* One convolution output, on the element-by-element path (segments the
 * pixel-at-a-time path does not run). */
static int32_t conv_at(ifq_ctx *ctx, const ifq_conv_params *p, int32_t c, int32_t y, int32_t x) {
  const uint32_t filter = (uint32_t)(c < ctx->filters ? c : c % ctx->filters);
  const int neg = p->negate && p->negate[c];
  const ifq_window win = window_at(p, &ctx->in->shape, y, x);
  int32_t acc;
  if (!p->acc32) return conv_wide(ctx, p, filter, neg, &win);
  acc = p->weight_format == IFQ_WEIGHT_BIT_PACKED ? conv_planes(ctx, p, filter, &win)
        : ctx->patch_size > 0                       ? conv_patch(ctx, p, filter, &win)
                                                    : conv_sum32(ctx, p, filter, &win);
  /* |acc| < 2^31 is proven, so -acc fits */
  return neg ? -acc : acc;
}

/* Element-wise op `op` applied to v, an element of channel c. */
static int32_t pointwise(const ifq_op *op, int32_t c, int32_t v) {
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

static const ifq_shape *shape_before(const ifq_ctx *ctx, int32_t level) {
  return level == 0 ? &ctx->in->shape : &ctx->ops[level - 1].out;
}

/* The value of ops[level]'s output at (c, y, x). Recursion depth is the
 * segment length (a handful of ops). */
static int32_t eval(ifq_ctx *ctx, int32_t level, int32_t c, int32_t y, int32_t x) {
  const ifq_op *op = &ctx->ops[level];
  switch (op->kind) {
    case IFQ_OP_INPUT: {
      const ifq_tensor *t = ctx->in;
      const int32_t i = (c * t->shape.h + y) * t->shape.w + x;
      return ifq_tensor_get(t, ctx->arena, i) - (t->sub ? t->sub[c] : 0);
    }
    case IFQ_OP_CONV:
      return conv_at(ctx, (const ifq_conv_params *)op->params, c, y, x);
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
      return pointwise(op, c, eval(ctx, level - 1, c, y, x));
  }
}

/* ---- the pixel-at-a-time path ---- */

/* Most segments are {conv, element-wise ops, at most one max pool of at
 * most 2x2, element-wise ops} with a proven 32-bit sum (what the converter
 * makes of a substructure). They run pixel by pixel: the sums of every
 * stored filter at the (up to four) conv positions an output pixel reads go
 * to a scratch area that the exporter reserves between the segment's two
 * tensors, then each channel's ops run on those sums. Every sum is computed
 * once and no call chain runs per output. Other segments, and tables from an
 * exporter that reserved no scratch, take the element-by-element path. */

static int is_pointwise(int32_t kind) {
  return kind != IFQ_OP_INPUT && kind != IFQ_OP_CONV && kind != IFQ_OP_MAXPOOL;
}

IFQ_INLINE int32_t load_i32(const uint8_t *p) { return (int32_t)load_u32(p); }

IFQ_INLINE void store_i32(uint8_t *p, int32_t v) { store_u32(p, (uint32_t)v); }

/* The scratch area of a segment that runs pixel by pixel, and its max pool
 * op (0: none); NULL when the segment cannot. */
static uint8_t *pixel_scratch(const ifq_model *model, const ifq_segment *seg, void *arena, int32_t filters,
                              int32_t *pool) {
  const ifq_tensor *lo = &model->tensors[seg->in], *hi = &model->tensors[seg->out];
  int32_t k, positions = 1;
  size_t start;
  *pool = 0;
  if (seg->ops[0].kind != IFQ_OP_CONV || !((const ifq_conv_params *)seg->ops[0].params)->acc32) return NULL;
  for (k = 1; k < seg->n_ops; ++k) {
    if (seg->ops[k].kind == IFQ_OP_MAXPOOL) {
      const ifq_pool_params *p = (const ifq_pool_params *)seg->ops[k].params;
      if (*pool || p->size < 1 || p->size > 2) return NULL;
      *pool = k;
      positions = p->size * p->size;
    } else if (!is_pointwise(seg->ops[k].kind)) {
      return NULL;
    }
  }
  if (lo->offset > hi->offset) {
    const ifq_tensor *t = lo;
    lo = hi;
    hi = t;
  }
  start = ((size_t)lo->offset + tensor_bytes(lo) + 7) & ~(size_t)7;
  if (start + 4 * (size_t)positions * (size_t)filters > hi->offset) return NULL;
  return (uint8_t *)arena + start;
}

/* The sums of every stored filter at conv output (y, x), into sums[f]. */
IFQ_KERNEL void conv_sums(ifq_ctx *ctx, const ifq_conv_params *p, int32_t y, int32_t x, uint8_t *sums) {
  const ifq_window win = window_at(p, &ctx->in->shape, y, x);
  int32_t f;
  if (p->weight_format == IFQ_WEIGHT_BIT_PACKED) { /* see conv_planes */
    const size_t filter_words = (size_t)p->kh * (size_t)p->kw * (size_t)ctx->wpp;
    const uint32_t *w = (const uint32_t *)p->weights;
    const int32_t levels = window_ones(ctx, &all_ones, 0, p->kw, &win);
    for (f = 0; f < ctx->filters; ++f, w += filter_words)
      store_i32(sums + 4 * (size_t)f, (int32_t)(2 * (int64_t)window_ones(ctx, w, 1, p->kw, &win) - levels));
  } else if (ctx->patch_size > 0) {
    /* Four filters at a time: each patch value is loaded once for four
     * multiply-accumulates into four registers. */
    const int32_t n = ctx->patch_size;
    const int16_t *patch = ctx->patch;
    const int8_t *w = (const int8_t *)p->weights;
    fill_patch(ctx, p, &win, ctx->patch);
    for (f = 0; f + 4 <= ctx->filters; f += 4, w += 4 * n) {
      int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, i;
      for (i = 0; i < n; ++i) {
        const int32_t v = patch[i];
        a0 += w[i] * v;
        a1 += w[n + i] * v;
        a2 += w[2 * n + i] * v;
        a3 += w[3 * n + i] * v;
      }
      store_i32(sums + 4 * (size_t)f, a0);
      store_i32(sums + 4 * (size_t)f + 4, a1);
      store_i32(sums + 4 * (size_t)f + 8, a2);
      store_i32(sums + 4 * (size_t)f + 12, a3);
    }
    for (; f < ctx->filters; ++f, w += n) store_i32(sums + 4 * (size_t)f, dot_patch(w, patch, n));
  } else {
    for (f = 0; f < ctx->filters; ++f) store_i32(sums + 4 * (size_t)f, conv_sum32(ctx, p, (uint32_t)f, &win));
  }
}

static void run_pixels(ifq_ctx *ctx, const ifq_segment *seg, const ifq_tensor *out, void *arena, uint8_t *scratch,
                       int32_t pool) {
  const ifq_conv_params *p = (const ifq_conv_params *)seg->ops[0].params;
  const ifq_pool_params *pp = pool ? (const ifq_pool_params *)seg->ops[pool].params : NULL;
  const ifq_shape *conv_out = &seg->ops[0].out; /* element-wise ops keep the shape */
  const int32_t F = ctx->filters, C = out->shape.c, after = pool ? pool + 1 : 1;
  int32_t y, x, c, k, o;
  for (y = 0; y < out->shape.h; ++y)
    for (x = 0; x < out->shape.w; ++x) {
      int32_t n = 0;
      if (pp) { /* Darknet geometry, as in eval */
        const int32_t y0 = y * pp->stride - pp->pad / 2, x0 = x * pp->stride - pp->pad / 2;
        int32_t dy, dx;
        for (dy = 0; dy < pp->size; ++dy)
          for (dx = 0; dx < pp->size; ++dx)
            if (y0 + dy >= 0 && y0 + dy < conv_out->h && x0 + dx >= 0 && x0 + dx < conv_out->w)
              conv_sums(ctx, p, y0 + dy, x0 + dx, scratch + 4 * (size_t)(n++) * (size_t)F);
      } else {
        conv_sums(ctx, p, y, x, scratch);
        n = 1;
      }
      for (c = 0; c < C; ++c) {
        const uint8_t *sum = scratch + 4 * (size_t)(c < F ? c : c % F);
        const int neg = p->negate && p->negate[c];
        int32_t v;
        if (pp) {
          const int take_min = pp->take_min != NULL && pp->take_min[c] != 0;
          v = take_min ? INT32_MAX : INT32_MIN;
          for (k = 0; k < n; ++k) {
            int32_t u = load_i32(sum + 4 * (size_t)k * (size_t)F);
            if (neg) u = -u;
            for (o = 1; o < pool; ++o) u = pointwise(&seg->ops[o], c, u);
            if (take_min ? u < v : u > v) v = u;
          }
        } else {
          v = load_i32(sum);
          if (neg) v = -v;
        }
        for (o = after; o < seg->n_ops; ++o) v = pointwise(&seg->ops[o], c, v);
        tensor_set(out, arena, c, y, x, v);
      }
    }
}

/* ---- public entry points ---- */

/* Refuses op tables this runtime cannot run as written (the exporter never
 * writes them; a hand-edited or mismatched table gets an error code, not
 * undefined behaviour). */
static int check_segment(const ifq_model *model, const ifq_segment *seg) {
  int32_t k;
  if (seg->in < 0 || seg->in >= model->n_tensors || seg->out < 0 || seg->out >= model->n_tensors)
    return IFQ_ERR_RANGE;
  for (k = 0; k < seg->n_ops; ++k) {
    const ifq_op *op = &seg->ops[k];
    if (op->kind < 0 || op->kind >= IFQ_OP_KINDS) return IFQ_ERR_OP;
    if (op->kind == IFQ_OP_CONV) {
      const ifq_conv_params *p = (const ifq_conv_params *)op->params;
      const ifq_tensor *in = &model->tensors[seg->in];
      if (p->duplicate > 1 && op->out.c % p->duplicate != 0) return IFQ_ERR_PARAMS;
      if (op->out.c != model->tensors[seg->out].shape.c || op->out.c < 1) return IFQ_ERR_PARAMS;
      if (p->weight_format == IFQ_WEIGHT_BIT_PACKED &&
          (k != 0 || in->elem != IFQ_ELEM_PLANES || !p->acc32 || p->input_repeat > 1))
        return IFQ_ERR_PARAMS;
    }
  }
  for (k = 0; k < model->n_tensors; ++k)
    if (model->tensors[k].elem == IFQ_ELEM_PLANES && (model->tensors[k].planes < 1 || model->tensors[k].planes > 16))
      return IFQ_ERR_PARAMS;
  return IFQ_OK;
}

/* The patch size when the segment's conv reads the image through a
 * patch (IFQ_PATCH_VALUES), else 0: int8 weights read once, a
 * proven 32-bit sum, and mean-removed bytes that fit int16. */
static int32_t patch_size(const ifq_segment *seg, const ifq_tensor *in) {
  const ifq_conv_params *p;
  int32_t n, c;
  if (seg->n_ops < 1 || seg->ops[0].kind != IFQ_OP_CONV || in->elem != IFQ_ELEM_U8) return 0;
  p = (const ifq_conv_params *)seg->ops[0].params;
  if (p->weight_format != IFQ_WEIGHT_I8 || !p->acc32 || p->input_repeat > 1 || p->kh < 1 || p->kw < 1) return 0;
  n = in->shape.c * p->kh * p->kw;
  if (in->shape.c < 1 || n > IFQ_PATCH_VALUES) return 0;
  for (c = 0; c < in->shape.c; ++c)
    if (in->sub && (in->sub[c] < -32000 || in->sub[c] > 32000)) return 0;
  return n;
}

/* The stored filters of the segment's conv (out_c / duplicate), or 1. */
static int32_t conv_filters(const ifq_segment *seg) {
  const ifq_conv_params *p;
  if (seg->n_ops < 1 || seg->ops[0].kind != IFQ_OP_CONV) return 1;
  p = (const ifq_conv_params *)seg->ops[0].params;
  return seg->ops[0].out.c / (p->duplicate > 1 ? p->duplicate : 1);
}

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
    const int rc = check_segment(model, &model->segments[s]);
    if (rc != IFQ_OK) return rc;
  }
  for (s = first; s < last; ++s) {
    const ifq_segment *seg = &model->segments[s];
    const ifq_tensor *out = &model->tensors[seg->out];
    ifq_ctx ctx;
    uint8_t *scratch;
    int32_t c, y, x, pool;
    ctx.arena = (const uint8_t *)arena;
    ctx.in = &model->tensors[seg->in];
    ctx.ops = seg->ops;
    ctx.filters = conv_filters(seg);
    ctx.patch_size = patch_size(seg, ctx.in);
    ctx.planes = ctx.arena + ctx.in->offset;
    ctx.wpp = words_per_plane(ctx.in->shape.c);
    ctx.pixel_bytes = 4 * (size_t)ctx.wpp * (size_t)(ctx.in->elem == IFQ_ELEM_PLANES ? ctx.in->planes : 0);
    if (out->elem == IFQ_ELEM_PLANES) memset((uint8_t *)arena + out->offset, 0, tensor_bytes(out));
    scratch = pixel_scratch(model, seg, arena, ctx.filters, &pool);
    if (scratch) {
      run_pixels(&ctx, seg, out, arena, scratch, pool);
      continue;
    }
    for (c = 0; c < out->shape.c; ++c)
      for (y = 0; y < out->shape.h; ++y)
        for (x = 0; x < out->shape.w; ++x) tensor_set(out, arena, c, y, x, eval(&ctx, seg->n_ops - 1, c, y, x));
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
