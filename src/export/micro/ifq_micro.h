/*
 * ifq_micro: a portable C99 runtime for integer IFQ networks exported by
 * `ifq export-c`. Integer arithmetic only, no malloc, no floating point and
 * nothing from libc beyond memcpy/memset. It runs from one caller-supplied
 * arena whose size the exported model states as NAME_ARENA_BYTES.
 *
 * What each op computes is specified by the C++ reference runtime
 * (include/ifq/runtime.hpp, include/ifq/int_model.hpp); the exported code is
 * tested byte for byte against it.
 *
 * Execution model. The op list is cut into segments: a segment starts at the
 * image, at a conv/fc op or at a max pool whose windows overlap, and runs
 * the element-wise ops and max pools that follow it. Only a segment's result
 * is stored in the arena, so a {conv, maxpool, threshold} substructure never
 * materialises its int32 accumulators: each stored element is computed on
 * demand, pooling over the accumulators it needs. Levels that a binary conv
 * reads are stored as bit planes (IFQ_ELEM_PLANES) and summed by popcount,
 * 32 channels at a time; other levels as bytes. Outputs are produced pixel by
 * pixel, all channels of a pixel together, so a pixel's window sum and a
 * shared (DupNet) filter's accumulator are computed once for all of them.
 * Stored tensors alternate between the two ends of the arena (ping-pong);
 * the arena is the largest sum of two neighbouring ones plus the scratch
 * between them where a segment keeps its filter sums (pixel-at-a-time path).
 */
#ifndef IFQ_MICRO_H
#define IFQ_MICRO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever the tables below change; a model exported for another
 * version is refused by ifq_run (IFQ_ERR_VERSION). */
#define IFQ_MICRO_ABI 2

/* Exported const arrays are 8-byte aligned where the compiler allows it
 * (word loads, DMA); plain C99 compilers simply ignore the request. */
#if defined(__GNUC__) || defined(__clang__)
#define IFQ_ALIGN __attribute__((aligned(8)))
#else
#define IFQ_ALIGN
#endif

/* Return codes of ifq_run. */
#define IFQ_OK 0
#define IFQ_ERR_ARENA_SIZE 1  /* arena smaller than model->arena_bytes */
#define IFQ_ERR_ARENA_ALIGN 2 /* arena not aligned to 4 bytes */
#define IFQ_ERR_VERSION 3     /* model exported for another runtime ABI */
#define IFQ_ERR_RANGE 4       /* segment range out of bounds */
#define IFQ_ERR_OP 5          /* an op kind this runtime does not know (exported by a newer ifq) */
#define IFQ_ERR_PARAMS 6      /* op parameters this runtime cannot run (packed weights on a byte input, ...) */

/* Element types of stored tensors. */
#define IFQ_ELEM_U8 0
#define IFQ_ELEM_I8 1
#define IFQ_ELEM_I16 2
#define IFQ_ELEM_I32 3
/* Levels 0 .. 2^planes - 1 as bit planes, 32 channels per word: pixel
 * (y, x), in row-major order, holds ceil(C / 32) x planes uint32 words,
 * word (k, b) at k * planes + b; its bit j is bit b of channel 32k + j's
 * level (unused channel bits are 0). A binary conv then sums 32 products
 * with one AND and one popcount per plane. */
#define IFQ_ELEM_PLANES 4

/* Weight storage: one bit per weight (1 = +1, 0 = -1; bit j of the flat
 * [out][in][kh][kw] index lives in byte j / 8 at bit j % 8), or plain
 * signed integers. */
#define IFQ_WEIGHT_BIT 0
#define IFQ_WEIGHT_I8 1
#define IFQ_WEIGHT_I16 2
#define IFQ_WEIGHT_I32 3
/* Binary weights for a bit-plane input (uint32 words): per stored filter,
 * per kernel tap (ky, kx) in row-major order, ceil(C / 32) words; channel
 * 32k + j is bit j of word k (1 = +1, 0 = -1; unused bits 0). */
#define IFQ_WEIGHT_BIT_PACKED 4

/* Op kinds. */
#define IFQ_OP_INPUT 0     /* source: the segment's stored input tensor (minus `sub`) */
#define IFQ_OP_CONV 1      /* source: convolution (fc = conv with kh x kw = the whole input) */
#define IFQ_OP_MAXPOOL 2
#define IFQ_OP_THRESHOLD 3 /* level = #{i : x > t[c][i]}, int32 thresholds */
#define IFQ_OP_REQUANT 4   /* ((x * mul[c]) >> shift) + bias[c] */
#define IFQ_OP_BATCHNORM 5 /* (((x - mean[c]) * scale[c]) >> shift) + beta[c] */
#define IFQ_OP_QUANT 6     /* level = #{i : x > t[i]}, int64 thresholds */
#define IFQ_OP_RELU 7
#define IFQ_OP_LEAKY 8     /* x < 0 ? (x * mul) >> shift : x */
#define IFQ_OP_CLAMP 9     /* min(max(x, lo), hi) */
#define IFQ_OP_KINDS 10    /* kinds this runtime runs: 0 .. IFQ_OP_KINDS - 1 */

typedef struct {
  int32_t c, h, w;
} ifq_shape;

/* A tensor stored in the arena, CHW. `sub` (per channel, may be NULL) is
 * subtracted on every read: the image is stored raw and its mean removed on
 * the fly, so no int16 copy of it is ever needed. */
typedef struct {
  ifq_shape shape;
  int32_t elem;
  uint32_t offset;
  const int32_t *sub;
  int32_t planes; /* IFQ_ELEM_PLANES only: bit planes per pixel */
} ifq_tensor;

typedef struct {
  int32_t kh, kw, stride, pad;
  int32_t acc_shift;
  int32_t weight_format;
  /* 1 when the exporter proved |acc| < 2^31 for every output, so the sum
   * can be kept in 32 bits (same result, much cheaper on Cortex-M). */
  int32_t acc32;
  const void *weights;
  /* DupNet weight sharing (0 means 1): the weights hold out_c / duplicate
   * filters of input_repeat * C channels; output c uses filter
   * c % (out_c / duplicate), its channel j reads input channel j % C, and
   * the sum is negated where negate[c] is 1 (negate may be NULL). */
  int32_t duplicate, input_repeat;
  const uint8_t *negate;
} ifq_conv_params;

typedef struct {
  int32_t size, stride, pad;
  const uint8_t *take_min; /* per channel, or NULL: all max */
} ifq_pool_params;

typedef struct {
  int32_t count; /* thresholds per channel (2^bits - 1) */
  const int32_t *thresholds;
} ifq_threshold_params;

typedef struct {
  int32_t shift;
  const int64_t *multiplier, *bias;
} ifq_requant_params;

typedef struct {
  int32_t shift;
  const int64_t *mean, *scale, *beta;
} ifq_batchnorm_params;

typedef struct {
  int32_t count;
  const int64_t *thresholds;
} ifq_quant_params;

typedef struct {
  int32_t shift;
  int64_t multiplier;
} ifq_leaky_params;

typedef struct {
  int32_t lo, hi;
} ifq_clamp_params;

/* One op: its kind, its output shape and a pointer to its parameters
 * (the ifq_*_params struct of that kind, or NULL). */
typedef struct {
  int32_t kind;
  ifq_shape out;
  const void *params;
} ifq_op;

/* ops[0] is the source (IFQ_OP_INPUT or IFQ_OP_CONV) reading tensors[in];
 * the result of the last op is stored into tensors[out]. */
typedef struct {
  const ifq_op *ops;
  int32_t n_ops;
  int32_t in, out;
} ifq_segment;

typedef struct {
  int32_t abi;
  const ifq_segment *segments;
  int32_t n_segments;
  const ifq_tensor *tensors; /* [0] the input image (uint8 CHW), [n-1] the output (int32 CHW) */
  int32_t n_tensors;
  uint32_t arena_bytes;
} ifq_model;

/* Where the caller writes the uint8 CHW image before ifq_run. It lies inside
 * the arena and is overwritten while the network runs. */
uint8_t *ifq_input(const ifq_model *model, void *arena);

/* Runs the whole network. The arena must be 4-byte aligned and at least
 * model->arena_bytes long. */
int ifq_run(const ifq_model *model, void *arena, size_t arena_bytes);

/* Runs segments [first, last) only; ifq_run is ifq_run_segments(m, a, n, 0,
 * m->n_segments). Lets a test inspect every stored tensor. */
int ifq_run_segments(const ifq_model *model, void *arena, size_t arena_bytes, int32_t first,
                     int32_t last);

/* Copies the output (int32 CHW, model->tensors[n_tensors - 1]) to dst. */
void ifq_read_output(const ifq_model *model, const void *arena, int32_t *dst);

/* Reads element i (CHW order) of any stored tensor as int32, `sub` not applied. */
int32_t ifq_tensor_get(const ifq_tensor *t, const void *arena, int32_t i);

#ifdef __cplusplus
}
#endif

#endif /* IFQ_MICRO_H */
