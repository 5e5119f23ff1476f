#include "ifq/kernels/bench_harness.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <random>
#include <thread>

#include <time.h>

#include "ifq/error.hpp"
#include "ifq/fast_runtime.hpp"
#include "ifq/kernels/kernel_list.hpp"

namespace ifq::kernels {

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

namespace {
// CPU time of the calling thread: the probe measures what a core can do while
// it runs, so time-slicing by other processes must not count against it.
double thread_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}
}  // namespace

Roofline measure_popcount_roofline(Isa isa, int threads, double seconds) {
  const KernelTable& table = kernel_table(isa);
  constexpr int64_t kWords = 2048;  // 16 KiB: stays in L1
  std::vector<double> rates(size_t(threads), 0);
  auto probe = [&](int t) {
    std::mt19937_64 rng(uint64_t(t) + 1);
    std::vector<uint64_t> a(kWords), w(32);
    for (auto& v : a) v = rng();
    for (auto& v : w) v = rng();
    // Calibrate the repetitions to ~1/20 of the budget, then take the best of
    // twenty rounds (thread CPU time).
    int64_t reps = 16;
    volatile uint64_t sink = 0;
    for (;;) {
      const double t0 = thread_cpu_seconds();
      sink = sink + table.popcount_probe(a.data(), kWords, w.data(), reps);
      const double s = thread_cpu_seconds() - t0;
      if (s > seconds / 20 || reps > (int64_t(1) << 30)) break;
      reps *= 2;
    }
    double best = 0;
    for (int round = 0; round < 20; ++round) {
      const double t0 = thread_cpu_seconds();
      sink = sink + table.popcount_probe(a.data(), kWords, w.data(), reps);
      const double s = thread_cpu_seconds() - t0;
      if (s > 0) best = std::max(best, double(reps) * kWords * 4 * 64 / s);
    }
    rates[size_t(t)] = best;
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(probe, t);
  probe(0);
  for (auto& t : pool) t.join();
  Roofline r;
  r.isa = isa;
  r.threads = threads;
  for (double v : rates) r.binary_ops_per_second += v;
  return r;
}

namespace {

// One runtime's medians from its per-run wall totals and stage times.
RuntimeBench summarise(const FastRuntime& fast, Isa isa, int threads, const std::vector<double>& totals,
                       const std::vector<std::vector<double>>& per_stage, const Roofline& roofline) {
  RuntimeBench b;
  b.isa = isa;
  b.threads = threads;
  b.runs = int(totals.size());
  b.median_ms = median(totals);
  b.min_ms = *std::min_element(totals.begin(), totals.end());
  b.max_ms = *std::max_element(totals.begin(), totals.end());
  b.arena_bytes = fast.arena_bytes();
  b.parameter_bytes = fast.parameter_bytes();
  for (size_t s = 0; s < per_stage.size(); ++s) {
    const FastStageInfo& info = fast.stages()[s];
    StageTiming t;
    t.kind = info.kind;
    t.label = info.label;
    t.median_ms = median(per_stage[s]);
    t.macs = info.macs;
    t.binary_ops = info.binary_ops;
    if (t.binary_ops > 0 && t.median_ms > 0) {
      t.binary_ops_per_second = double(t.binary_ops) / (t.median_ms * 1e-3);
      if (roofline.binary_ops_per_second > 0) t.roofline_fraction = t.binary_ops_per_second / roofline.binary_ops_per_second;
    }
    b.macs += t.macs;
    b.binary_ops += t.binary_ops;
    b.stages.push_back(t);
  }
  int64_t largest = 0;
  for (const auto& t : b.stages)
    if (t.binary_ops > largest) {
      largest = t.binary_ops;
      b.largest_layer = t.label;
      b.largest_layer_roofline_fraction = t.roofline_fraction;
    }
  double big_ops = 0, big_ms = 0;
  for (const auto& t : b.stages)
    if (t.binary_ops > 0 && double(t.binary_ops) >= 0.1 * double(b.binary_ops)) {
      big_ops += double(t.binary_ops);
      big_ms += t.median_ms;
    }
  if (big_ms > 0 && roofline.binary_ops_per_second > 0)
    b.big_layers_roofline_fraction = big_ops / (big_ms * 1e-3) / roofline.binary_ops_per_second;
  return b;
}

}  // namespace

std::vector<RuntimeBench> bench_variants_interleaved(const std::vector<BenchVariant>& variants, int runs, int warmup) {
  if (runs < 1) throw Error("bench: --runs must be at least 1");
  if (variants.empty()) throw Error("bench: nothing to run");
  const Shape3 in = std::get<IntInputOp>(variants[0].model->ops[0]).shape;
  for (const BenchVariant& v : variants)
    if (std::get<IntInputOp>(v.model->ops[0]).shape.elements() != in.elements())
      throw Error("bench: interleaved runtimes need the same input size");
  std::vector<std::unique_ptr<FastRuntime>> fast;
  for (const BenchVariant& v : variants) {
    FastRuntimeOptions options = v.options;
    options.time_stages = true;
    fast.push_back(std::make_unique<FastRuntime>(*v.model, options));
  }
  std::mt19937 rng(42);
  std::vector<std::vector<uint8_t>> images(4, std::vector<uint8_t>(size_t(in.elements())));
  for (auto& img : images)
    for (auto& v : img) v = uint8_t(rng());
  for (int i = 0; i < warmup; ++i)
    for (auto& f : fast) f->run(images[size_t(i) % images.size()]);
  const size_t n = fast.size();
  std::vector<std::vector<double>> totals(n);
  std::vector<std::vector<std::vector<double>>> per_stage(n);
  for (size_t k = 0; k < n; ++k) per_stage[k].resize(fast[k]->stages().size());
  // Blocks of kBlock images per runtime: short enough that every runtime
  // sees the same drift, long enough that a multi-thread runtime's workers
  // are still polling between its images (as in back-to-back use) rather
  // than asleep after the other runtime's turn; with several runtimes each
  // block's first image (the hand-over) is not timed.
  constexpr int kBlock = 16;
  for (int i = 0; i < runs; i += kBlock)
    for (size_t k = 0; k < n; ++k) {
      if (n > 1) fast[k]->run(images[size_t(i) % images.size()]);
      for (int j = i; j < std::min(runs, i + kBlock); ++j) {
        const auto t0 = std::chrono::steady_clock::now();
        fast[k]->run(images[size_t(j) % images.size()]);
        totals[k].push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        for (size_t s = 0; s < per_stage[k].size(); ++s) per_stage[k][s].push_back(fast[k]->stages()[s].last_ms);
      }
    }
  std::vector<RuntimeBench> out;
  for (size_t k = 0; k < n; ++k)
    out.push_back(summarise(*fast[k], *variants[k].options.isa, variants[k].options.threads, totals[k], per_stage[k],
                            variants[k].roofline));
  return out;
}

std::vector<RuntimeBench> bench_runtimes_interleaved(const IntModel& model, Isa isa, const std::vector<int>& threads,
                                                     int runs, int warmup, const std::vector<Roofline>& rooflines) {
  if (threads.empty() || rooflines.size() != threads.size())
    throw Error("bench: one roofline per thread count is needed");
  std::vector<BenchVariant> variants;
  for (size_t k = 0; k < threads.size(); ++k) {
    BenchVariant v;
    v.model = &model;
    v.options.threads = threads[k];
    v.options.isa = isa;
    v.roofline = rooflines[k];
    variants.push_back(v);
  }
  return bench_variants_interleaved(variants, runs, warmup);
}

RuntimeBench bench_runtime(const IntModel& model, Isa isa, int threads, int runs, int warmup,
                           const Roofline& roofline) {
  return bench_runtimes_interleaved(model, isa, {threads}, runs, warmup, {roofline}).front();
}

}  // namespace ifq::kernels
