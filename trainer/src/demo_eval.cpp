#include "demo_eval.hpp"

#include <atomic>
#include <cmath>
#include <mutex>
#include <thread>

#include "ifq/error.hpp"
#include "ifq/fast_runtime.hpp"
#include "ifq/reference_eval.hpp"

namespace ifq::trainer {
namespace {

std::vector<double> output_values(const IntModel& m, const IntTensor& out) {
  std::vector<double> v(out.data.size());
  const double scale = m.output.is_levels ? 1.0 : std::ldexp(1.0, -m.output.frac_bits);
  for (size_t i = 0; i < v.size(); ++i) v[i] = double(out.data[i]) * scale;
  return v;
}

IntTensor pixels_minus_mean(const IntModel& m, const std::vector<uint8_t>& image) {
  const auto& in = std::get<IntInputOp>(m.ops[0]);
  IntTensor x{in.shape, std::vector<int32_t>(image.size())};
  const size_t plane = size_t(in.shape.h) * size_t(in.shape.w);
  for (size_t i = 0; i < image.size(); ++i) x.data[i] = int32_t(image[i]) - in.mean[i / plane];
  return x;
}

// Index of `layer` in the reference's quantizer list, or -1.
int ref_index(const TorchEvaluation* ref, int layer) {
  if (!ref) return -1;
  for (size_t q = 0; q < ref->quant_layer.size(); ++q)
    if (ref->quant_layer[q] == layer && !ref->levels[q].empty()) return int(q);
  return -1;
}

// The outputs come from the fast runtime (bit-identical to the reference
// runtime on every ISA path: tests/kernels); the reference runtime checks
// the first kFastRuntimeChecks images of every evaluation, which must agree.
constexpr int64_t kFastRuntimeChecks = 100;

[[noreturn]] void fast_runtime_differs(const char* where, int64_t image) {
  throw Error(std::string(where) + ": the fast runtime's output differs from the reference runtime's on test image " +
              std::to_string(image) + " (a kernel bug: run ctest -R FastRuntime)");
}

// Ops [begin, end) of `im` as a model of their own, so the fast runtime can
// run one substructure of a hybrid evaluation. From op 0 it is the model's
// own input op; later, an input op with mean 0 passes the incoming levels
// through unchanged (levels fit the 8-bit input).
IntModel ops_as_model(const IntModel& im, int begin, int end, Shape3 levels_shape) {
  IntModel sub;
  sub.name = im.name + " ops " + std::to_string(begin) + "-" + std::to_string(end);
  if (begin == 0)
    sub.ops.push_back(im.ops[0]);
  else
    sub.ops.push_back(IntInputOp{levels_shape, std::vector<int32_t>(size_t(levels_shape.c), 0)});
  sub.ops.insert(sub.ops.end(), im.ops.begin() + std::max(1, begin), im.ops.begin() + end);
  return sub;
}

std::vector<uint8_t> levels_as_pixels(const IntTensor& levels) {
  std::vector<uint8_t> px(levels.data.size());
  for (size_t i = 0; i < px.size(); ++i) {
    if (levels.data[i] < 0 || levels.data[i] > 255)
      throw Error("eval_hybrid: a level " + std::to_string(levels.data[i]) + " does not fit the 8-bit input");
    px[i] = uint8_t(levels.data[i]);
  }
  return px;
}

int64_t count_diff(const std::vector<int32_t>& got, const TorchEvaluation& ref, int q, int64_t image) {
  const size_t n = got.size();
  const int32_t* want = ref.levels[size_t(q)].data() + size_t(image) * n;
  int64_t d = 0;
  for (size_t i = 0; i < n; ++i) d += got[i] != want[i];
  return d;
}

}  // namespace

FashionSplits load_fashion_splits(const std::string& data_dir, int64_t train_images, int64_t test_images, bool quick) {
  const std::string dir = data_dir.empty() ? kFashionMnistDir : data_dir;
  FashionSplits s{load_fashion_mnist("train", dir), load_fashion_mnist("t10k", dir)};
  s.train = s.train.head(train_images > 0 ? train_images : (quick ? 4000 : s.train.size()));
  s.test = s.test.head(test_images > 0 ? test_images : (quick ? 300 : s.test.size()));
  return s;
}

void parallel_for(int64_t n, int jobs, const std::function<void(int64_t, int)>& f) {
  jobs = std::max(1, std::min<int>(jobs, int(std::max<int64_t>(1, n))));
  std::atomic<int64_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto work = [&](int worker) {
    try {
      for (int64_t i; (i = next.fetch_add(1)) < n;) f(i, worker);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
      next.store(n);
    }
  };
  std::vector<std::thread> threads;
  for (int w = 1; w < jobs; ++w) threads.emplace_back(work, w);
  work(0);
  for (auto& t : threads) t.join();
  if (error) std::rethrow_exception(error);
}

std::vector<int32_t> argmax_rows(const std::vector<double>& logits, int classes) {
  std::vector<int32_t> out(logits.size() / size_t(classes));
  for (size_t i = 0; i < out.size(); ++i) {
    const double* row = logits.data() + i * size_t(classes);
    int best = 0;
    for (int c = 1; c < classes; ++c)
      if (row[c] > row[best]) best = c;
    out[i] = best;
  }
  return out;
}

EvalOutput eval_hybrid(const FloatModel& model, const IntModel& im, const Dataset& data, int64_t n,
                       const TorchEvaluation* reference, bool keep_entering_last, int jobs,
                       const std::function<void(int64_t)>& tick) {
  const auto& spans = im.substructures;
  if (spans.empty()) throw Error("eval_hybrid: the integer model has no substructures");
  const std::vector<Shape3> shapes = infer_shapes(model);
  EvalOutput out;
  out.classes = int(shapes.back().elements());
  out.logits.resize(size_t(n) * size_t(out.classes));
  if (keep_entering_last) out.entering_last.resize(size_t(n));
  std::vector<int64_t> mismatches(size_t(std::max(1, jobs)), 0), compared(size_t(std::max(1, jobs)), 0);
  // Each quantized substructure runs on its own fast runtime.
  const std::vector<Shape3> int_shapes = infer_int_shapes(im);
  std::vector<IntModel> span_models(spans.size());
  for (size_t s = 0; s < spans.size(); ++s)
    if (spans[s].kind == SubstructureKind::Quantized)
      span_models[s] = ops_as_model(im, spans[s].op_begin, spans[s].op_end,
                                    spans[s].op_begin > 0 ? int_shapes[size_t(spans[s].op_begin - 1)] : Shape3{});
  std::vector<std::unique_ptr<ReferenceRuntime>> runtimes(size_t(std::max(1, jobs)));
  std::vector<std::vector<std::unique_ptr<FastRuntime>>> fast(size_t(std::max(1, jobs)));
  for (size_t w = 0; w < runtimes.size(); ++w) {
    runtimes[w] = std::make_unique<ReferenceRuntime>(im);
    fast[w].resize(spans.size());
    for (size_t s = 0; s < spans.size(); ++s)
      if (spans[s].kind == SubstructureKind::Quantized) fast[w][s] = std::make_unique<FastRuntime>(span_models[s]);
  }
  parallel_for(n, jobs, [&](int64_t i, int w) {
    ReferenceRuntime& rt = *runtimes[size_t(w)];
    const std::vector<uint8_t> image = data.image(i);
    IntTensor levels;
    std::vector<double> result;
    for (size_t s = 0; s < spans.size(); ++s) {
      const SubstructureSpan& sp = spans[s];
      const bool last = s + 1 == spans.size();
      if (last && keep_entering_last) out.entering_last[size_t(i)] = levels;
      if (sp.kind == SubstructureKind::Quantized) {
        const IntTensor& fast_levels = fast[size_t(w)][s]->run(sp.op_begin == 0 ? image : levels_as_pixels(levels));
        if (i < kFastRuntimeChecks) {
          const IntTensor x = sp.op_begin == 0 ? pixels_minus_mean(im, image) : levels;
          if (rt.run_range(x, std::max(1, sp.op_begin), sp.op_end).data != fast_levels.data)
            fast_runtime_differs("eval_hybrid", i);
        }
        levels = fast_levels;
        const int q = ref_index(reference, sp.layer_end - 1);
        if (q >= 0) {
          mismatches[size_t(w)] += count_diff(levels.data, *reference, q, i);
          compared[size_t(w)] += int64_t(levels.data.size());
        }
        if (last) result.assign(levels.data.begin(), levels.data.end());
      } else {
        FloatTrace tr = sp.layer_begin == 0 ? evaluate_float(model, image, sp.layer_end)
                                            : evaluate_float_from_levels(model, sp.layer_begin, levels.data, sp.layer_end);
        if (last) {
          result = tr.output;
        } else {
          if (tr.quant_levels.empty()) throw Error("eval_hybrid: a non-quantized substructure before the last one has no quantizer");
          levels = IntTensor{tr.output_shape, tr.quant_levels.back()};
        }
      }
    }
    if (result.size() != size_t(out.classes)) throw Error("eval_hybrid: output size mismatch");
    std::copy(result.begin(), result.end(), out.logits.begin() + long(size_t(i) * size_t(out.classes)));
    if (tick) tick(1);
  });
  for (size_t w = 0; w < mismatches.size(); ++w) {
    out.level_mismatches += mismatches[w];
    out.levels_compared += compared[w];
  }
  return out;
}

EvalOutput eval_integer(const IntModel& im, const Dataset& data, int64_t n, const TorchEvaluation* reference, int jobs,
                        const std::function<void(int64_t)>& tick) {
  // The first threshold op's index and its float quantizer.
  int first_threshold_op = -1, first_quant_layer = -1;
  for (const auto& sp : im.substructures) {
    for (int o = sp.op_begin; o < sp.op_end; ++o)
      if (std::holds_alternative<IntThresholdOp>(im.ops[size_t(o)]) || std::holds_alternative<IntQuantOp>(im.ops[size_t(o)])) {
        first_threshold_op = o;
        first_quant_layer = sp.layer_end - 1;
        break;
      }
    if (first_threshold_op >= 0) break;
  }
  const int q = ref_index(reference, first_quant_layer);
  EvalOutput out;
  const auto shapes = infer_int_shapes(im);
  out.classes = int(shapes.back().elements());
  out.logits.resize(size_t(n) * size_t(out.classes));
  const int workers = std::max(1, jobs);
  std::vector<int64_t> mismatches(size_t(workers), 0), compared(size_t(workers), 0);
  // The reference runs up to the first quantizer for the level check
  // against the float network, and in full on the first images.
  std::vector<std::unique_ptr<ReferenceRuntime>> references{size_t(workers)};
  std::vector<std::unique_ptr<FastRuntime>> fast{size_t(workers)};
  for (int w = 0; w < workers; ++w) {
    references[size_t(w)] = std::make_unique<ReferenceRuntime>(im);
    fast[size_t(w)] = std::make_unique<FastRuntime>(im);
  }
  parallel_for(n, jobs, [&](int64_t i, int w) {
    const std::vector<uint8_t> image = data.image(i);
    const IntTensor& result = fast[size_t(w)]->run(image);
    if (i < kFastRuntimeChecks && references[size_t(w)]->run(image).data != result.data)
      fast_runtime_differs("eval_integer", i);
    if (q >= 0) {
      const IntTensor levels = references[size_t(w)]->run_range(pixels_minus_mean(im, image), 1, first_threshold_op + 1);
      mismatches[size_t(w)] += count_diff(levels.data, *reference, q, i);
      compared[size_t(w)] += int64_t(levels.data.size());
    }
    const auto v = output_values(im, result);
    std::copy(v.begin(), v.end(), out.logits.begin() + long(size_t(i) * size_t(out.classes)));
    if (tick) tick(1);
  });
  for (int w = 0; w < workers; ++w) {
    out.level_mismatches += mismatches[size_t(w)];
    out.levels_compared += compared[size_t(w)];
  }
  return out;
}

EvalOutput eval_last_from_levels(const IntModel& im, const std::vector<IntTensor>& entering, int jobs) {
  const SubstructureSpan& sp = im.substructures.back();
  const auto shapes = infer_int_shapes(im);
  EvalOutput out;
  out.classes = int(shapes.back().elements());
  out.logits.resize(entering.size() * size_t(out.classes));
  std::vector<std::unique_ptr<ReferenceRuntime>> runtimes(size_t(std::max(1, jobs)));
  for (auto& rt : runtimes) rt = std::make_unique<ReferenceRuntime>(im);
  parallel_for(int64_t(entering.size()), jobs, [&](int64_t i, int w) {
    const IntTensor r = runtimes[size_t(w)]->run_range(entering[size_t(i)], sp.op_begin, sp.op_end);
    const auto v = output_values(im, r);
    std::copy(v.begin(), v.end(), out.logits.begin() + long(size_t(i) * size_t(out.classes)));
  });
  return out;
}

}  // namespace ifq::trainer
