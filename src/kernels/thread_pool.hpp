#pragma once
// A small fixed thread pool for the fast runtime: `threads - 1` workers plus
// the calling thread share the tasks of one parallel loop. Jobs are passed as
// a context pointer and a plain function so a loop never allocates. Workers
// spin briefly between loops (stages follow each other within microseconds)
// and then sleep, so an idle runtime does not burn CPU.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace ifq::kernels {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return int(workers_.size()) + 1; }

  // Calls fn(task, worker) for every task in [0, tasks), worker in [0, size()).
  template <class F>
  void run(int tasks, F& fn) {
    run_raw(tasks, &fn, [](void* ctx, int task, int worker) { (*static_cast<F*>(ctx))(task, worker); });
  }

 private:
  using Call = void (*)(void*, int, int);
  void run_raw(int tasks, void* ctx, Call call);
  void work(int worker, uint64_t generation);
  void worker_main(int worker);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  // (generation << 32) | next task. Claiming a task is a compare-exchange on
  // this word, so a worker that wakes late for an old loop can never take a
  // task of a newer one, and the caller never waits for workers that found no
  // work (on a loaded machine a descheduled worker would otherwise stall
  // every stage).
  std::atomic<uint64_t> cursor_{0};
  std::atomic<int> tasks_{0};
  std::atomic<int> done_{0};
  uint64_t generation_ = 0;  // caller only
  void* ctx_ = nullptr;      // valid while a claimed task of its loop runs
  Call call_ = nullptr;
};

}  // namespace ifq::kernels
