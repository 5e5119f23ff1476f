#pragma once
// The fast integer runtime: runs any ifq::IntModel with outputs identical to
// ReferenceRuntime (the specification), using bit-packed popcount kernels for
// binary convolutions on k-bit levels, with threshold quantization and max
// pooling fused into the convolution's epilogue (docs/bit-packing.md).
//
// At load it validates the model, packs the weights, picks the kernel path
// (IFQ_ISA or cpuid), and plans memory: ONE arena, sized then, holds every
// feature map and per-thread scratch; run() allocates nothing on the covered
// ops. Ops no fast kernel covers run through the reference op
// (ifq::apply_int_op), still exact; those stages are flagged `reference`
// and do allocate.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ifq/int_model.hpp"
#include "ifq/kernels/isa.hpp"
#include "ifq/runtime.hpp"

namespace ifq {

struct FastRuntimeOptions {
  int threads = 1;
  std::optional<kernels::Isa> isa;  // unset: kernels::selected_isa()
  bool time_stages = false;         // record each stage's wall time per run
  // Convs on the int8 kernel (i8conv) instead of the popcount kernels
  // (digit planes for multi-bit weights, plain for +-1): unset = the path's
  // measured cost models (KernelTable::i8conv_word_cost and
  // i8conv_binary_word_cost), true = wherever it is exact, false = never.
  // For benchmarks and tests; every choice gives the same levels.
  std::optional<bool> int8_weights;
};

struct FastStageInfo {
  std::string kind;   // input, pixconv, bconv, i8conv, pool, pack, reference
  std::string label;  // e.g. "bconv 3x3/1 16->32 k2 +maxpool2/2 +threshold2"
  // The kernel variant: op, tile and ISA, as XNNPACK names its microkernels
  // (e.g. "bconv_3x3s1_k2_avx512"; stages without a kernel path: "pointwise").
  std::string variant;
  int op_begin = 0, op_end = 0;  // IntModel ops covered, half-open
  Shape3 out_shape;
  int64_t macs = 0;         // integer multiply-accumulates (conv stages)
  int64_t binary_ops = 0;   // bconv: macs * activation bits (AND+popcount bit pairs)
  int tasks = 1;            // parallel tasks per run
  double last_ms = 0;       // wall time of the last run (time_stages)
};

class FastRuntime {
 public:
  // Takes the model by value: pass an rvalue to save a copy of its weights.
  explicit FastRuntime(IntModel model, FastRuntimeOptions options = {});
  ~FastRuntime();
  FastRuntime(const FastRuntime&) = delete;
  FastRuntime& operator=(const FastRuntime&) = delete;

  // Runs the whole network on an 8-bit CHW image of the input op's shape
  // (throws ifq::Error on a size mismatch). The result lives in the runtime
  // and is overwritten by the next run.
  const IntTensor& run(const uint8_t* image, size_t size);
  const IntTensor& run(const std::vector<uint8_t>& image) { return run(image.data(), image.size()); }

  kernels::Isa isa() const;
  int threads() const;
  // The planned peak: bytes of the single arena (feature maps + scratch).
  int64_t arena_bytes() const;
  // Bytes of packed weights and thresholds held by the runtime.
  int64_t parameter_bytes() const;
  const std::vector<FastStageInfo>& stages() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ifq
