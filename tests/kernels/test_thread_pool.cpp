// The fast runtime's thread pool: every task of every loop runs exactly once,
// on a valid worker index, across many back-to-back loops of varied sizes.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <vector>

#include "ifq/error.hpp"
#include "thread_pool.hpp"

namespace ifq::kernels {
namespace {

TEST(ThreadPool, EveryTaskRunsExactlyOnceOverManyLoops) {
  for (int threads : {1, 2, 3, 5}) {
    ThreadPool pool(threads);
    std::mt19937 rng{static_cast<uint32_t>(threads)};
    std::vector<std::atomic<int>> hits(64);
    for (int loop = 0; loop < 2000; ++loop) {
      const int tasks = int(rng() % 64);
      for (auto& h : hits) h.store(0);
      std::atomic<int> bad_worker{0};
      auto fn = [&](int task, int worker) {
        hits[size_t(task)].fetch_add(1);
        if (worker < 0 || worker >= pool.size()) bad_worker.fetch_add(1);
      };
      pool.run(tasks, fn);
      for (int t = 0; t < 64; ++t)
        ASSERT_EQ(hits[size_t(t)].load(), t < tasks ? 1 : 0) << "threads " << threads << " loop " << loop;
      ASSERT_EQ(bad_worker.load(), 0);
    }
  }
}

TEST(ThreadPool, RejectsBadThreadCounts) {
  EXPECT_THROW(ThreadPool(0), Error);
  EXPECT_THROW(ThreadPool(100000), Error);
}

}  // namespace
}  // namespace ifq::kernels
