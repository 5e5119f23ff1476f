// FastRuntime: stages (fast_stage.hpp) grouped from the model's ops, one
// arena planned at load, run on the selected kernel path with a thread pool.
#include "ifq/fast_runtime.hpp"

#include <chrono>
#include <cstring>
#include <string>
#include <utility>

#include "fast_stage.hpp"
#include "ifq/error.hpp"

namespace ifq {

struct FastRuntime::Impl {
  IntModel model;
  std::vector<Shape3> shapes;
  kernels::Isa isa;
  kernels::KernelTable table;  // the path's, with the options' planning choices
  std::unique_ptr<kernels::ThreadPool> pool;
  bool time_stages = false;
  fast::StageList stages;
  std::vector<fast::Buffer> bufs;  // bufs[s] = output of stages[s]
  std::vector<FastStageInfo> infos;
  std::unique_ptr<uint8_t[]> arena_storage;
  uint8_t* arena = nullptr;
  int64_t arena_size = 0;
  int64_t worker_scratch_offset = 0, worker_scratch_bytes = 0;
  IntTensor output;

  void plan_arena(int threads);
};

// Feature maps alternate between two regions (stage s reads buffer s-1 and
// writes buffer s), then one scratch region per worker.
void FastRuntime::Impl::plan_arena(int threads) {
  int64_t region[2] = {0, 0};
  for (size_t b = 0; b < bufs.size(); ++b) region[b % 2] = std::max(region[b % 2], bufs[b].bytes);
  for (size_t b = 0; b < bufs.size(); ++b) bufs[b].offset = (b % 2) ? region[0] : 0;
  worker_scratch_offset = region[0] + region[1];
  worker_scratch_bytes = 0;
  for (auto& s : stages) worker_scratch_bytes = std::max(worker_scratch_bytes, fast::align_up(s->scratch_bytes, fast::kAlign));
  arena_size = worker_scratch_offset + worker_scratch_bytes * threads;
  arena_storage.reset(new uint8_t[size_t(arena_size) + fast::kAlign]);
  arena = reinterpret_cast<uint8_t*>(fast::align_up(reinterpret_cast<intptr_t>(arena_storage.get()), fast::kAlign));
  std::memset(arena, 0, size_t(arena_size));
}

FastRuntime::FastRuntime(IntModel model, FastRuntimeOptions options) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  if (options.threads < 1) throw Error("fast runtime: thread count must be at least 1");
  m.model = std::move(model);
  m.shapes = infer_int_shapes(m.model);
  if (m.model.ops.empty() || !std::holds_alternative<IntInputOp>(m.model.ops[0]))
    throw Error("fast runtime: the model must start with an input op");
  m.isa = options.isa ? *options.isa : kernels::selected_isa();
  m.table = kernels::kernel_table(m.isa);
  if (options.int8_weights)
    m.table.i8conv_word_cost = m.table.i8conv_binary_word_cost = *options.int8_weights ? 1e30 : 0;
  m.pool = std::make_unique<kernels::ThreadPool>(options.threads);
  m.time_stages = options.time_stages;
  m.stages = fast::group_stages(m.model, m.shapes, m.table, m.bufs);
  for (size_t s = 0; s < m.stages.size(); ++s) m.stages[s]->prepare(m.bufs[s], options.threads, m.table);
  m.plan_arena(options.threads);
  m.output.shape = m.shapes.back();
  m.output.data.assign(size_t(m.output.shape.elements()), 0);
  for (auto& s : m.stages) {
    if (s->info.label.empty()) {
      s->info.label = s->info.kind;
      if (s->info.kind == "input") s->info.label += " " + s->out_shape.str();
      for (int op = s->info.op_begin; op < s->info.op_end && s->info.kind != "input"; ++op)
        s->info.label += std::string(" ") + int_op_name(m.model.ops[size_t(op)]);
    }
    m.infos.push_back(s->info);
  }
}

FastRuntime::~FastRuntime() = default;

kernels::Isa FastRuntime::isa() const { return impl_->isa; }
int FastRuntime::threads() const { return impl_->pool->size(); }
int64_t FastRuntime::arena_bytes() const { return impl_->arena_size; }
int64_t FastRuntime::parameter_bytes() const {
  int64_t b = 0;
  for (auto& s : impl_->stages) b += s->parameter_bytes();
  return b;
}
const std::vector<FastStageInfo>& FastRuntime::stages() const { return impl_->infos; }

const IntTensor& FastRuntime::run(const uint8_t* image, size_t size) {
  Impl& m = *impl_;
  const Shape3 in = m.shapes[0];
  if (int64_t(size) != in.elements())
    throw Error("fast runtime: image has " + std::to_string(size) + " bytes, the model expects " + in.str() +
                " = " + std::to_string(in.elements()));
  fast::StageRun r;
  r.image = image;
  r.scratch = m.arena + m.worker_scratch_offset;
  r.scratch_stride = m.worker_scratch_bytes;
  r.pool = m.pool.get();
  r.table = &m.table;
  for (size_t si = 0; si < m.stages.size(); ++si) {
    const auto t0 = std::chrono::steady_clock::now();
    r.in = si > 0 ? &m.bufs[si - 1] : nullptr;
    r.src = si > 0 ? m.arena + m.bufs[si - 1].offset : nullptr;
    r.out = &m.bufs[si];
    r.dst = m.arena + m.bufs[si].offset;
    m.stages[si]->run(r);
    if (m.time_stages)
      m.infos[si].last_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  }
  const fast::Buffer& last = m.bufs.back();
  std::memcpy(m.output.data.data(), m.arena + last.offset, size_t(last.shape.elements()) * 4);
  return m.output;
}

}  // namespace ifq
