// `ifq study quantizers` (ifq_trainer/study.hpp): trains the Fashion-MNIST
// network of `ifq demo` (fashion-hwgq.cfg: first conv and last FC float,
// HWGQ k = 2 between) once per weight quantizer, and its twice-as-wide
// binary twin (fashion-hwgq-wide.cfg) to compare at the same model size;
// converts each integrated and measures what docs/quantizers.md tabulates.
// No LibTorch here.
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "demo_eval.hpp"
#include "ifq/cfg.hpp"
#include "ifq/convert.hpp"
#include "ifq/fast_runtime.hpp"
#include "ifq/memory.hpp"
#include "ifq/model_io.hpp"
#include "ifq/train/accuracy.hpp"
#include "ifq/train/dataset.hpp"
#include "study_results.hpp"

#ifndef IFQ_SOURCE_DIR
#define IFQ_SOURCE_DIR "."
#endif

namespace ifq::trainer {
namespace {

constexpr int kActivationBits = 2;

// The table's rows, in report order.
std::vector<StudyMethod> study_methods() {
  auto row = [](std::string name, std::string description, int bits, std::string weight_quant) {
    StudyMethod m;
    m.name = std::move(name);
    m.description = std::move(description);
    m.weight_bits = bits;
    m.activation_bits = kActivationBits;
    m.weight_quant = std::move(weight_quant);
    if (m.weight_quant == "quantnet") {
      m.trainer_flags = "--weight-quant quantnet";
    } else if (!m.weight_quant.empty()) {
      m.trainer_flags = "--weight-quant " + m.weight_quant + " --weight-bits " + std::to_string(bits) + " --retrain-rounds 2";
      // The paper fits activations as well as weights.
      if (m.weight_quant == "piecewise-gaussian") m.step_rule = "piecewise-gaussian";
      if (!m.step_rule.empty()) m.trainer_flags += " --step-rule " + m.step_rule;
    }
    return m;
  };
  auto wide = [](StudyMethod m) {
    m.cfg = "fashion-hwgq-wide.cfg";
    return m;
  };
  return {
      row("binary", "binary weights with a per-filter alpha (IFQ-Net, as today)", 1, ""),
      wide(row("binary-wide", "binary weights, conv2 and fc3 twice as wide: about the weight bytes of zero-centred-w4",
               1, "")),
      row("zero-centred-w4", "zero-centred fixed point, 4-bit weights, 2 retraining rounds (Kim & Kim 2021)", 4,
          "zero-centred"),
      row("zero-centred-w8", "zero-centred fixed point, 8-bit weights, 2 retraining rounds (Kim & Kim 2021)", 8,
          "zero-centred"),
      row("quantnet", "QuantNet: binary weights from an annealed differentiable sub-network, no STE (ECCV-W 2020)", 1,
          "quantnet"),
      row("piecewise-gaussian-w4",
          "piecewise-Gaussian fitted steps for 4-bit weights and for the HWGQ activations, 2 rounds (low-precision YOLO 2018)",
          4, "piecewise-gaussian"),
      row("piecewise-gaussian-w8",
          "piecewise-Gaussian fitted steps for 8-bit weights and for the HWGQ activations, 2 rounds (low-precision YOLO 2018)",
          8, "piecewise-gaussian"),
  };
}

TrainOptions train_options(const StudyMethod& m, const StudyResults& R) {
  TrainOptions o;
  o.threads = 1;
  o.seed = R.options.seed;
  o.steps = R.steps;
  o.progress = false;
  o.weight_quant = m.weight_quant;
  o.step_rule = m.step_rule;
  if (m.weight_bits > 1) {
    o.weight_bits = m.weight_bits;
    o.retrain_rounds = 2;
  }
  return o;
}

// Median ms per image of each runtime, timed in alternating blocks so that
// every method sees the same machine state (this VM's speed drifts).
std::vector<double> time_runtimes(std::vector<FastRuntime*>& runtimes, const Dataset& test, int images) {
  std::vector<std::vector<double>> ms(runtimes.size());
  const int block = 10;
  for (int start = 0; start < images; start += block)
    for (size_t r = 0; r < runtimes.size(); ++r)
      for (int i = start; i < std::min(images, start + block); ++i) {
        const std::vector<uint8_t> image = test.image(i % test.size());
        const auto t0 = Clock::now();
        runtimes[r]->run(image);
        ms[r].push_back(since(t0) * 1e3);
      }
  std::vector<double> median;
  for (auto& v : ms) {
    std::nth_element(v.begin(), v.begin() + long(v.size() / 2), v.end());
    median.push_back(v[v.size() / 2]);
  }
  return median;
}

}  // namespace

int run_quantizer_study(const StudyOptions& opt) {
  const auto t_start = Clock::now();
  StudyResults R;
  R.options = opt;
  const std::string models_dir = opt.models_dir.empty() ? std::string(IFQ_SOURCE_DIR) + "/models" : opt.models_dir;
  const int jobs = std::max(1, opt.jobs);
  R.steps = opt.steps > 0 ? opt.steps : (opt.quick ? 20 : 600);
  R.timing_images = opt.timing_images > 0 ? opt.timing_images : (opt.quick ? 30 : 1000);

  FashionSplits data = load_fashion_splits(opt.data_dir, opt.train_images, opt.test_images, opt.quick);
  const Dataset &train = data.train, &test = data.test;
  R.train_images = train.size();
  R.test_images = test.size();
  std::filesystem::create_directories(opt.report_dir + "/models");

  R.methods = study_methods();
  std::vector<StudyMethod>& methods = R.methods;
  CfgOptions co;
  co.seed = opt.seed;
  co.quant_bits = kActivationBits;
  std::vector<CfgNetwork> nets;
  for (const StudyMethod& m : methods) nets.push_back(load_cfg_network(models_dir + "/" + m.cfg, co));
  R.batch = nets[0].training.batch;

  // 1. Train every method, one LibTorch thread each, `jobs` at a time.
  std::vector<FloatModel> models(methods.size());
  {
    std::fprintf(stderr, "ifq study quantizers: training %zu networks (%d steps x %d images each), %d at a time\n",
                 methods.size(), R.steps, R.batch, jobs);
    SharedProgress progress("training", int64_t(methods.size()) * R.steps, "steps", R.batch, opt.progress);
    parallel_for(int64_t(methods.size()), jobs, [&](int64_t i, int) {
      StudyMethod& m = methods[size_t(i)];
      TrainOptions o = train_options(m, R);
      o.on_step = [&](int, double loss) { progress.tick(1, loss); };
      const auto t0 = Clock::now();
      Trainer trainer(nets[size_t(i)], o);
      const TrainStats st = trainer.train(train);
      m.train_seconds = since(t0);
      m.final_loss = st.final_loss;
      models[size_t(i)] = trainer.export_model();
      models[size_t(i)].name = "fashion-" + m.name;
    });
    progress.finish();
  }

  // 2. Float top-1 (LibTorch float64 with levels), integrated conversion
  //    (levels vs LibTorch's), the whole integer network, memory.
  std::vector<IntModel> int_models(methods.size());
  SharedProgress eprog("evaluation", int64_t(methods.size()) * 2 * test.size(), "images", 1, opt.progress);
  auto tick = [&](int64_t n) { eprog.tick(n, -1); };
  for (size_t i = 0; i < methods.size(); ++i) {
    StudyMethod& m = methods[i];
    const FloatModel& fm = models[i];
    m.model_file = opt.report_dir + "/models/" + fm.name + ".ifqf";
    save_float_model(fm, m.model_file);
    const TorchEvaluation f64 = torch_evaluate(fm, test, /*float64=*/true, /*record_levels=*/true, jobs);
    m.float_top1 = accuracy_from_logits(f64.logits, f64.classes, test.labels).top1;
    int_models[i] = convert(fm).model;
    const int64_t n = test.size();
    const EvalOutput hybrid = eval_hybrid(fm, int_models[i], test, n, &f64, false, jobs, tick);
    m.integrated_top1 = accuracy_from_logits(hybrid.logits, hybrid.classes, test.labels).top1;
    m.level_mismatches = hybrid.level_mismatches;
    m.levels_compared = hybrid.levels_compared;
    const auto hybrid_predictions = argmax_rows(hybrid.logits, hybrid.classes);
    for (int64_t j = 0; j < n; ++j)
      m.integrated_prediction_mismatches += hybrid_predictions[size_t(j)] != f64.predictions[size_t(j)];
    const EvalOutput integer = eval_integer(int_models[i], test, n, nullptr, jobs, tick);
    m.integer_top1 = accuracy_from_logits(integer.logits, integer.classes, test.labels).top1;
    const MemoryReport mem = account_memory(int_models[i]);
    m.model_bytes = mem.model_size_bytes;
    m.weight_bytes = mem.weight_size_bytes;
    m.feature_map_peak_bits = mem.feature_map_peak_bits;
    save_int_model(int_models[i], opt.report_dir + "/models/" + fm.name + ".ifqi");
  }
  eprog.finish();

  // 3. Speed: the fast runtime, one thread, every method in the same run.
  std::vector<std::unique_ptr<FastRuntime>> owned;
  std::vector<FastRuntime*> runtimes;
  for (size_t i = 0; i < methods.size(); ++i) {
    owned.push_back(std::make_unique<FastRuntime>(int_models[i]));
    runtimes.push_back(owned.back().get());
    for (const FastStageInfo& s : owned.back()->stages()) methods[i].reference_stages += s.kind == "reference";
  }
  R.isa = kernels::isa_name(owned[0]->isa());
  time_runtimes(runtimes, test, std::min(R.timing_images, 20));  // warm-up
  const std::vector<double> ms = time_runtimes(runtimes, test, R.timing_images);
  for (size_t i = 0; i < methods.size(); ++i) methods[i].ms_per_image = ms[i];

  R.seconds_total = since(t_start);
  write_study_report(R, opt.report_dir);
  std::printf("wrote %s/report.md and report.json (%.0f s)\n", opt.report_dir.c_str(), R.seconds_total);
  return 0;
}

}  // namespace ifq::trainer
