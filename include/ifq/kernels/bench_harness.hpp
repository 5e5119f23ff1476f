#pragma once
// Measurement helpers shared by `ifq bench` and the Google Benchmark suite:
// the machine's popcount roofline and per-image / per-stage latencies of the
// fast runtime (medians of many runs).
#include <cstdint>
#include <string>
#include <vector>

#include "ifq/fast_runtime.hpp"
#include "ifq/int_model.hpp"
#include "ifq/kernels/isa.hpp"

namespace ifq::kernels {

// Peak AND + popcount + accumulate throughput of a path, measured by
// popcount_probe from L1 on `threads` threads at once, each timed in its own
// CPU time (best of 20 rounds; time-slicing by other processes is not
// counted). One binary op is one bit pair (a_j AND w_j counted once), i.e. a
// 64-bit word is 64 binary ops. Stage fractions divide wall-clock stage
// medians by this peak, so a loaded machine understates them, never inflates.
struct Roofline {
  Isa isa = Isa::portable;
  int threads = 1;
  double binary_ops_per_second = 0;
};
Roofline measure_popcount_roofline(Isa isa, int threads, double seconds = 0.3);

struct StageTiming {
  std::string kind, label;
  double median_ms = 0;
  int64_t macs = 0, binary_ops = 0;
  double binary_ops_per_second = 0;  // bconv stages
  double roofline_fraction = 0;      // of the roofline given to bench_runtime
};

struct RuntimeBench {
  Isa isa = Isa::portable;
  int threads = 1;
  int runs = 0;
  double median_ms = 0, min_ms = 0, max_ms = 0;
  int64_t arena_bytes = 0, parameter_bytes = 0;
  int64_t macs = 0, binary_ops = 0;
  std::vector<StageTiming> stages;
  // Over the big binary layers (each at least 10% of the network's binary
  // ops): Σ binary ops / Σ median time, as a fraction of the roofline.
  double big_layers_roofline_fraction = 0;
  // The single layer with the most binary ops (Tinier-YOLO: 3x3 256->512).
  std::string largest_layer;
  double largest_layer_roofline_fraction = 0;
};

// Runs the model `warmup + runs` times on random images; per-image latency
// from runs without stage timing, per-stage medians from separate timed runs.
RuntimeBench bench_runtime(const IntModel& model, Isa isa, int threads, int runs, int warmup,
                           const Roofline& roofline);

// One runtime per thread count (rooflines[k] for threads[k]), run in turn
// in short blocks of images: when the machine's speed drifts (other tenants, clock
// changes) every runtime sees the same drift, so the ratios of their medians
// (thread scaling) stay fair where separately timed runs would not.
std::vector<RuntimeBench> bench_runtimes_interleaved(const IntModel& model, Isa isa, const std::vector<int>& threads,
                                                     int runs, int warmup, const std::vector<Roofline>& rooflines);

// The general form: any runtimes (models of the same input shape, options
// each; time_stages is forced on), interleaved in the same blocks.
struct BenchVariant {
  const IntModel* model = nullptr;
  FastRuntimeOptions options;  // options.isa must be set
  Roofline roofline;
};
std::vector<RuntimeBench> bench_variants_interleaved(const std::vector<BenchVariant>& variants, int runs, int warmup);

double median(std::vector<double> v);

}  // namespace ifq::kernels
