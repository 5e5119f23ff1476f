// `ifq demo`: Tables 2-4 and Fig. 4 of the paper on Fashion-MNIST
// (docs/training.md "The demo"). No LibTorch here: training and LibTorch
// evaluation go through trainer.hpp.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>

#include "demo_eval.hpp"
#include "demo_results.hpp"
#include "ifq/cfg.hpp"
#include "ifq/convert.hpp"
#include "ifq/error.hpp"
#include "ifq/memory.hpp"
#include "ifq/model_io.hpp"
#include "ifq/substructure.hpp"
#include "ifq_trainer/demo.hpp"
#include "ifq/train/golden.hpp"
#include "ifq/progress.hpp"

#ifndef IFQ_SOURCE_DIR
#define IFQ_SOURCE_DIR "."
#endif

namespace ifq::trainer {
namespace {

// Float storage of a float model: every stored parameter in 32 bits, every
// feature map in 32 bits (the 8-bit input image excepted).
void float_memory(const FloatModel& m, MethodResult& r) {
  int64_t floats = 0;
  for (const Layer& l : m.layers) {
    if (auto* c = std::get_if<ConvLayer>(&l)) floats += int64_t(c->weight.size() + c->bias.size() + c->alpha.size());
    else if (auto* f = std::get_if<FcLayer>(&l)) floats += int64_t(f->weight.size() + f->bias.size() + f->alpha.size());
    else if (auto* b = std::get_if<BatchNormLayer>(&l))
      floats += int64_t(b->mean.size() + b->var.size() + b->gamma.size() + b->beta.size());
  }
  r.model_size_bits = floats * 32;
  const auto shapes = infer_shapes(m);
  int64_t peak = shapes[0].elements() * 8;
  for (size_t i = 1; i < shapes.size(); ++i) peak = std::max(peak, shapes[i].elements() * 32);
  r.feature_map_peak_bits = peak;
}

void int_memory(const IntModel& m, MethodResult& r) {
  const MemoryReport rep = account_memory(m);
  r.model_size_bits = rep.model_size_bits;
  r.feature_map_peak_bits = rep.feature_map_peak_bits;
}

MethodResult scored(const std::vector<double>& logits, int classes, const Dataset& test, int64_t n, std::string how) {
  Dataset sub = test.head(n);
  const Accuracy a = accuracy_from_logits(logits, classes, sub.labels);
  MethodResult r;
  r.top1 = a.top1;
  r.top5 = a.top5;
  r.images = n;
  r.how = std::move(how);
  return r;
}

int64_t count_mismatches(const std::vector<int32_t>& a, const std::vector<int32_t>& b, int64_t n) {
  int64_t d = 0;
  for (int64_t i = 0; i < n; ++i) d += a[size_t(i)] != b[size_t(i)];
  return d;
}

// Smallest m from which every larger m swept stays within `tol` of `target`
// (the result with that substructure in float): "no further improvement"
// as the paper reads Fig. 4. The largest m swept when none qualifies.
int choose_m(const std::vector<SweepPoint>& sweep, double target, double tol) {
  int chosen = sweep.back().m;
  for (size_t i = sweep.size(); i-- > 0;) {
    if (std::fabs(sweep[i].top1 - target) > tol) break;
    chosen = sweep[i].m;
  }
  return chosen;
}

struct TrainedModel {
  std::string name, cfg, variant;
  int k = 0;
  FloatModel model;
  TrainStats stats;
  TorchEvaluation f64, f32;
};

}  // namespace

int run_demo(const DemoOptions& opt_in) {
  const auto t_start = Clock::now();
  DemoResults R;
  R.options = opt_in;
  const DemoOptions& opt = R.options;
  const std::string models_dir = opt.models_dir.empty() ? std::string(IFQ_SOURCE_DIR) + "/models" : opt.models_dir;
  const int jobs = std::max(1, opt.jobs);
  R.steps = opt.steps > 0 ? opt.steps : (opt.quick ? 20 : 600);
  R.separated_ms = {8, 9, 10, 12, 14};
  R.last_ms = {6, 8, 10, 11, 12, 13, 14, 16};
  R.first_ms = {5, 6, 7, 8, 9, 10, 12};
  R.m_tolerance = 0.002;

  // Data.
  FashionSplits data = load_fashion_splits(opt.data_dir, opt.train_images, opt.test_images, opt.quick);
  const Dataset &train = data.train, &test = data.test;
  R.train_images = train.size();
  R.test_images = test.size();
  R.table2_images = std::min(test.size(), opt.table2_images > 0 ? opt.table2_images : (opt.quick ? 100 : 1000));
  R.sweep_images = std::min(test.size(), opt.sweep_images > 0 ? opt.sweep_images : (opt.quick ? 100 : 1000));

  std::filesystem::create_directories(opt.report_dir + "/models");

  // 1. Train every network: fp32 baseline, then HWGQ (first/last float) and
  //    all-binary for each k. One LibTorch thread per job, `jobs` at a time.
  std::vector<TrainedModel> todo;
  todo.push_back({"fashion-fp32", models_dir + "/fashion-fp32.cfg", "fp32", 0, {}, {}, {}, {}});
  for (int k : opt.ks) {
    todo.push_back({"fashion-hwgq-k" + std::to_string(k), models_dir + "/fashion-hwgq.cfg", "hwgq", k, {}, {}, {}, {}});
    if (opt.all_quantized)
      todo.push_back({"fashion-hwgq-allq-k" + std::to_string(k), models_dir + "/fashion-hwgq-allq.cfg", "all_quantized", k,
                      {}, {}, {}, {}});
  }
  std::vector<CfgNetwork> nets;
  for (auto& t : todo) {
    CfgOptions co;
    co.seed = opt.seed;
    co.quant_bits = t.k;
    nets.push_back(load_cfg_network(t.cfg, co));
    nets.back().model.name = t.name;
  }
  R.batch = opt.batch > 0 ? opt.batch : nets[0].training.batch;
  std::fprintf(stderr, "ifq demo: training %zu networks (%d steps x %d images each, %lld training images), %d at a time\n",
               todo.size(), R.steps, R.batch, (long long)train.size(), jobs);
  const auto t_train = Clock::now();
  {
    SharedProgress progress("training", int64_t(todo.size()) * R.steps, "steps", R.batch, opt.progress);
    parallel_for(int64_t(todo.size()), jobs, [&](int64_t i, int) {
      TrainedModel& t = todo[size_t(i)];
      TrainOptions o;
      o.threads = 1;
      o.seed = opt.seed;
      o.steps = R.steps;
      o.batch = R.batch;
      o.progress = false;
      o.on_step = [&](int, double loss) { progress.tick(1, loss); };
      Trainer trainer(nets[size_t(i)], o);
      t.stats = trainer.train(train);
      t.model = trainer.export_model();
      t.model.name = t.name;
    });
    progress.finish();
  }
  R.seconds_training = since(t_train);
  R.train_images_per_second = double(todo.size()) * R.steps * R.batch / R.seconds_training;

  // 2. LibTorch evaluation (float64 with levels, float32 for the tie count),
  //    model files and golden files.
  const auto t_eval = Clock::now();
  {
    SharedProgress progress("LibTorch eval", int64_t(todo.size()), "networks", test.size(), opt.progress);
    parallel_for(int64_t(todo.size()), jobs, [&](int64_t i, int) {
      TrainedModel& t = todo[size_t(i)];
      t.f64 = torch_evaluate(t.model, test, true, t.k > 0, 1);
      t.f32 = torch_evaluate(t.model, test, false, t.k > 0, 1);
      const std::string base = opt.report_dir + "/models/" + t.name;
      save_float_model(t.model, base + ".ifqf");
      if (t.k > 0) save_golden(make_golden(t.model, test.head(64), 1), base + ".golden");
      progress.tick(1, -1);
    });
    progress.finish();
  }

  // fp32 baseline.
  {
    TrainedModel& t = todo[0];
    R.fp32_train = t.stats;
    const Accuracy a = accuracy_from_logits(t.f32.logits, t.f32.classes, test.labels);
    R.fp32 = MethodResult{a.top1, a.top5, test.size(), 0, 0, "LibTorch float32, float weights, ReLU"};
    float_memory(t.model, R.fp32);
  }

  // 3. Integer evaluations per quantized network.
  int64_t eval_units = 0;
  for (size_t i = 1; i < todo.size(); ++i) {
    const bool nq_first = todo[i].variant == "hwgq";
    eval_units += (nq_first ? 2 : 1) * R.test_images + int64_t(R.separated_ms.size()) * R.table2_images +
                  (nq_first ? int64_t(R.first_ms.size()) * R.sweep_images : 0);
  }
  SharedProgress eprog("integer eval", eval_units, "images", 1, opt.progress);
  auto tick = [&](int64_t n) { eprog.tick(n, -1); };
  for (size_t i = 1; i < todo.size(); ++i) {
    TrainedModel& t = todo[i];
    VariantResult V;
    V.name = t.variant;
    V.k = t.k;
    V.description = t.variant == "hwgq" ? "first conv and last FC full precision, binary weights and HWGQ between"
                                        : "every layer binary (first conv on the image, last FC too)";
    V.train = t.stats;
    V.model_file = opt.report_dir + "/models/" + t.name + ".ifqf";
    V.golden_file = opt.report_dir + "/models/" + t.name + ".golden";
    for (const Substructure& s : divide_substructures(t.model))
      V.substructures.push_back(std::string(s.kind == SubstructureKind::Quantized ? "quantized " : "non-quantized ") +
                                s.describe(t.model));
    const int64_t n = test.size();
    V.methods["fp32"] = R.fp32;
    {
      const Accuracy a = accuracy_from_logits(t.f64.logits, t.f64.classes, test.labels);
      MethodResult r{a.top1, a.top5, n, 0, 0, "LibTorch float64 (float32 parameters)"};
      float_memory(t.model, r);
      V.methods["float_quant"] = r;
    }
    // float32 vs float64 LibTorch: predictions and levels (float32 ties).
    V.float32_vs_float64_prediction_mismatches = count_mismatches(t.f32.predictions, t.f64.predictions, n);
    for (size_t q = 0; q < t.f64.levels.size(); ++q) {
      V.float32_levels_compared += int64_t(t.f64.levels[q].size());
      for (size_t j = 0; j < t.f64.levels[q].size(); ++j) V.float32_level_mismatches += t.f64.levels[q][j] != t.f32.levels[q][j];
    }

    // Table 2 "integrated (m = 0)": quantized substructures integrated, the
    // non-quantized ones kept in float as the paper does for Table 2.
    ConvertOptions co;
    const ConvertResult integrated = convert(t.model, co);
    const EvalOutput hyb = eval_hybrid(t.model, integrated.model, test, n, &t.f64, true, jobs, tick);
    {
      MethodResult r = scored(hyb.logits, hyb.classes, test, n, "quantized substructures integrated (integer), others float");
      int_memory(integrated.model, r);
      V.methods["integrated"] = r;
      V.integrated_vs_float_prediction_mismatches = count_mismatches(argmax_rows(hyb.logits, hyb.classes), t.f64.predictions, n);
      V.integrated_level_mismatches = hyb.level_mismatches;
      V.integrated_levels_compared = hyb.levels_compared;
      V.methods["integrated"].prediction_mismatches = V.integrated_vs_float_prediction_mismatches;
      V.methods["integrated"].level_mismatches = hyb.level_mismatches;
      V.methods["integrated"].levels_compared = hyb.levels_compared;
    }
    // The float network on the separated rows' subset (for comparison on
    // the same images; integrated equals it there too).
    {
      const Dataset sub = test.head(R.table2_images);
      const Accuracy a = accuracy_from_logits(
          std::vector<float>(t.f64.logits.begin(), t.f64.logits.begin() + long(R.table2_images * t.f64.classes)),
          t.f64.classes, sub.labels);
      MethodResult r{a.top1, a.top5, R.table2_images, 0, 0, "LibTorch float64 on the separated rows' images"};
      float_memory(t.model, r);
      V.methods["float_quant_table2_subset"] = r;
    }
    // Table 2 separated rows, on a subset.
    for (int m : R.separated_ms) {
      ConvertOptions so;
      so.quantized = ConversionKind::Separated;
      so.quantized_m = m;
      const ConvertResult sep = convert(t.model, so);
      const EvalOutput e = eval_hybrid(t.model, sep.model, test, R.table2_images, &t.f64, false, jobs, tick);
      MethodResult r = scored(e.logits, e.classes, test, R.table2_images,
                              "quantized substructures separated with Q_m = 2^" + std::to_string(m) + ", others float");
      int_memory(sep.model, r);
      r.prediction_mismatches = count_mismatches(argmax_rows(e.logits, e.classes), t.f64.predictions, R.table2_images);
      r.level_mismatches = e.level_mismatches;
      r.levels_compared = e.levels_compared;
      V.methods["separated_m" + std::to_string(m)] = r;
    }
    // Fig. 4a: m of the last substructure (first kept float, quantized ones
    // integrated), on every test image from the cached entering levels.
    const double float_top1 = V.methods["integrated"].top1;
    for (int m : R.last_ms) {
      ConvertOptions lo;
      lo.last_m = m;
      const ConvertResult c = convert(t.model, lo);
      const EvalOutput e = eval_last_from_levels(c.model, hyb.entering_last, jobs);
      const Accuracy a = accuracy_from_logits(e.logits, e.classes, test.labels);
      V.last_sweep.push_back({m, a.top1, a.top5, n, -1, 0,
                              count_mismatches(argmax_rows(e.logits, e.classes), t.f64.predictions, n)});
    }
    V.chosen_last_m = choose_m(V.last_sweep, float_top1, R.m_tolerance);
    // Fig. 4b: m of the first substructure with the last at its chosen m,
    // everything in integers, on a subset.
    const bool nq_first = !integrated.model.substructures.empty() &&
                          integrated.model.substructures.front().kind == SubstructureKind::NonQuantized;
    if (nq_first) {
      // Reference for the tolerance: the same subset with only the last
      // substructure in integers at its chosen m (the first in float).
      ConvertOptions lo;
      lo.last_m = V.chosen_last_m;
      const ConvertResult c = convert(t.model, lo);
      std::vector<IntTensor> entering(hyb.entering_last.begin(), hyb.entering_last.begin() + long(R.sweep_images));
      const EvalOutput e = eval_last_from_levels(c.model, entering, jobs);
      const double target = accuracy_from_logits(e.logits, e.classes, test.head(R.sweep_images).labels).top1;
      for (int m : R.first_ms) {
        ConvertOptions fo;
        fo.first_m = m;
        fo.last_m = V.chosen_last_m;
        const ConvertResult fc = convert(t.model, fo);
        const EvalOutput fe = eval_integer(fc.model, test, R.sweep_images, &t.f64, jobs, tick);
        const Accuracy a = accuracy_from_logits(fe.logits, fe.classes, test.head(R.sweep_images).labels);
        V.first_sweep.push_back({m, a.top1, a.top5, R.sweep_images, fe.level_mismatches, fe.levels_compared,
                                 count_mismatches(argmax_rows(fe.logits, fe.classes), t.f64.predictions, R.sweep_images)});
      }
      V.chosen_first_m = choose_m(V.first_sweep, target, R.m_tolerance);
    }
    // The deployed IFQ-Net: everything in integers at the chosen m.
    {
      ConvertOptions fo;
      if (V.chosen_first_m >= 0) fo.first_m = V.chosen_first_m;
      fo.last_m = V.chosen_last_m;
      const ConvertResult c = convert(t.model, fo);
      // Without a non-quantized first substructure, every substructure but
      // the last is integrated in both models: reuse the levels entering
      // the last one (identical by construction) instead of a full run.
      const EvalOutput e = nq_first ? eval_integer(c.model, test, n, nullptr, jobs, tick)
                                    : eval_last_from_levels(c.model, hyb.entering_last, jobs);
      MethodResult r = scored(e.logits, e.classes, test, n,
                              "every op in integers (fast runtime), first_m " +
                                  (V.chosen_first_m >= 0 ? std::to_string(V.chosen_first_m) : std::string("n/a")) +
                                  ", last_m " + std::to_string(V.chosen_last_m));
      int_memory(c.model, r);
      V.methods["ifq_net"] = r;
      V.ifq_net_vs_float_prediction_mismatches = count_mismatches(argmax_rows(e.logits, e.classes), t.f64.predictions, n);
      V.methods["ifq_net"].prediction_mismatches = V.ifq_net_vs_float_prediction_mismatches;
      save_int_model(c.model, opt.report_dir + "/models/" + t.name + ".ifqi");
      const MemoryReport rep = account_memory(c.model);
      for (const OpMemory& op : rep.ops)
        V.bits.push_back({op.op_index, op.name, op.weights ? op.weight_bits : 0, op.output_bits, op.model_bits, op.feature_map_bits});
    }
    R.variants.push_back(std::move(V));
  }
  eprog.finish();
  R.seconds_evaluation = since(t_eval);
  R.seconds_total = since(t_start);
  write_demo_report(R, opt.report_dir);
  std::printf("%s", demo_markdown(R).c_str());
  std::printf("\nwrote %s/report.md and %s/report.json (%.0f s: training %.0f s, evaluation %.0f s)\n",
              opt.report_dir.c_str(), opt.report_dir.c_str(), R.seconds_total, R.seconds_training, R.seconds_evaluation);
  return 0;
}

}  // namespace ifq::trainer
