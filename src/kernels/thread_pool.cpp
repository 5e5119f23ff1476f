#include "thread_pool.hpp"

#include <chrono>

#include "ifq/error.hpp"

namespace ifq::kernels {

namespace {
// How long a worker polls for the next loop before sleeping on the condition
// variable; long enough to bridge the gap between two stages of one image.
constexpr auto kSpinTime = std::chrono::microseconds(200);
}  // namespace

ThreadPool::ThreadPool(int threads) {
  if (threads < 1 || threads > 256) throw Error("thread count must be in 1..256, got " + std::to_string(threads));
  for (int w = 1; w < threads; ++w) workers_.emplace_back([this, w] { worker_main(w); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::work(int worker, uint64_t generation) {
  for (;;) {
    uint64_t v = cursor_.load(std::memory_order_acquire);
    if ((v >> 32) != generation) return;
    const int task = int(uint32_t(v));
    if (task >= tasks_.load(std::memory_order_relaxed)) return;
    if (!cursor_.compare_exchange_weak(v, v + 1, std::memory_order_acq_rel)) continue;
    call_(ctx_, task, worker);
    done_.fetch_add(1, std::memory_order_release);
  }
}

void ThreadPool::run_raw(int tasks, void* ctx, Call call) {
  if (tasks <= 0) return;
  if (workers_.empty() || tasks == 1) {
    for (int t = 0; t < tasks; ++t) call(ctx, t, 0);
    return;
  }
  // Close the previous loop before touching its state: a worker that loaded
  // the previous loop's last cursor value and then reads the new tasks_
  // would otherwise win its compare-exchange and run a phantom task, making
  // done_ overshoot and this call wait forever. After this store such a
  // compare-exchange fails, and a fresh read sees "no task left".
  cursor_.store((uint64_t(generation_ & 0xffffffffu) << 32) | 0x7fffffffu, std::memory_order_release);
  ctx_ = ctx;
  call_ = call;
  tasks_.store(tasks, std::memory_order_relaxed);
  done_.store(0, std::memory_order_relaxed);
  const uint64_t generation = ++generation_ & 0xffffffffu;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    cursor_.store(generation << 32, std::memory_order_release);
  }
  wake_.notify_all();
  work(0, generation);
  // Wait for tasks still running elsewhere by polling; yielding would hand
  // the core to another process for a whole time slice on a loaded machine.
  const auto spin_until = std::chrono::steady_clock::now() + 4 * kSpinTime;
  while (done_.load(std::memory_order_acquire) != tasks) {
    if (std::chrono::steady_clock::now() < spin_until) {
#if defined(__x86_64__)
      __builtin_ia32_pause();
#endif
    } else {
      std::this_thread::yield();
    }
  }
}

void ThreadPool::worker_main(int worker) {
  uint64_t seen = 0;
  for (;;) {
    const auto spin_until = std::chrono::steady_clock::now() + kSpinTime;
    while ((cursor_.load(std::memory_order_acquire) >> 32) == seen &&
           std::chrono::steady_clock::now() < spin_until) {
#if defined(__x86_64__)
      __builtin_ia32_pause();
#endif
    }
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || (cursor_.load(std::memory_order_acquire) >> 32) != seen; });
      if (stop_) return;
    }
    seen = cursor_.load(std::memory_order_acquire) >> 32;
    work(worker, seen);
  }
}

}  // namespace ifq::kernels
