#pragma once
// The fast runtime's stages (fast_runtime.cpp): each a type of its own with
// its own prepare (tasks, scratch, kernel variant) and run. Grouping ops into
// stages is fast_grouping.cpp; the arena they share is arena_plan.cpp.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ifq/fast_runtime.hpp"
#include "ifq/kernels/kernel_list.hpp"
#include "thread_pool.hpp"

// Checks an invariant of the kernels' callers in debug builds; compiled out
// in Release (the conditions are proven at planning time, these catch a
// planner change that breaks them).
#ifdef NDEBUG
#define IFQ_DCHECK(cond) ((void)0)
#else
#include <cstdio>
#include <cstdlib>
#define IFQ_DCHECK(cond)                                                                      \
  ((cond) ? (void)0                                                                           \
          : (std::fprintf(stderr, "ifq: internal check failed: %s (%s:%d)\n", #cond, __FILE__, \
                          __LINE__),                                                           \
             std::abort()))
#endif

namespace ifq::fast {

using kernels::PackedLayout;

enum class BufFmt { Int32, Packed, Pix16 };

// One stage's output in the arena.
struct Buffer {
  BufFmt fmt = BufFmt::Int32;
  Shape3 shape;
  PackedLayout layout;  // Packed
  int pix_pad = 0;      // Pix16: zero border of the first convolution
  int pix_stride = 1;   // Pix16: its stride (strips read past the rows)
  int64_t bytes = 0;
  int64_t offset = 0;   // in the arena
};

inline constexpr int64_t kAlign = 64;
inline int64_t align_up(int64_t v, int64_t a) { return (v + a - 1) / a * a; }

// Everything one stage's run needs.
struct StageRun {
  const uint8_t* image = nullptr;  // the caller's uint8 CHW image
  const Buffer* in = nullptr;      // previous stage's output (null for the first)
  const uint8_t* src = nullptr;
  const Buffer* out = nullptr;
  uint8_t* dst = nullptr;
  uint8_t* scratch = nullptr;  // worker w's scratch: scratch + w * scratch_stride
  int64_t scratch_stride = 0;
  kernels::ThreadPool* pool = nullptr;
  const kernels::KernelTable* table = nullptr;
};

class Stage {
 public:
  virtual ~Stage() = default;
  // The input format this stage reads (decided at grouping).
  BufFmt in_fmt = BufFmt::Int32;
  int in_bits = 0;    // Packed: level bits
  int in_pad = 0;     // Packed / Pix16: zero border
  int in_stride = 1;  // Pix16: the convolution's stride
  Shape3 in_shape, out_shape;
  FastStageInfo info;        // kind, label, ops, macs, tasks
  int64_t scratch_bytes = 0;  // per worker, set by prepare

  // Whether the stage can write its output as packed levels of `bits` / as
  // the int16 pixels a pixel convolution reads.
  virtual bool writes_packed(int /*bits*/) const { return false; }
  virtual bool writes_pixels() const { return false; }
  // Plans tasks and scratch once the output buffer is known.
  virtual void prepare(const Buffer& /*out*/, int /*threads*/, const kernels::KernelTable& /*table*/) {}
  virtual void run(const StageRun& r) = 0;
  virtual int64_t parameter_bytes() const { return 0; }
};

using StageList = std::vector<std::unique_ptr<Stage>>;

// Groups the model's ops into stages (fusing conv + pool + threshold where a
// kernel covers them) and plans each stage's output buffer, inserting pack
// stages where a consumer needs packed levels its producer cannot write.
// `table`: the kernel path the stages will run on (some choices depend on it).
StageList group_stages(const IntModel& model, const std::vector<Shape3>& shapes, const kernels::KernelTable& table,
                       std::vector<Buffer>& buffers);

}  // namespace ifq::fast
