// report.md and report.json of `ifq demo` (paper Tables 2, 3, 4 and Fig. 4).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "demo_results.hpp"
#include "ifq/atomic_file.hpp"
#include "ifq/error.hpp"

namespace ifq::trainer {
namespace {

std::string f4(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.4f", v);
  return b;
}
std::string mbit(int64_t bits) {
  char b[32];
  std::snprintf(b, sizeof b, "%.4f", double(bits) / 1e6);
  return b;
}

nlohmann::json method_json(const MethodResult& m) {
  return {{"top1", m.top1},
          {"top5", m.top5},
          {"images", m.images},
          {"model_size_bits", m.model_size_bits},
          {"feature_map_peak_bits", m.feature_map_peak_bits},
          {"how", m.how},
          {"prediction_mismatches_vs_float", m.prediction_mismatches},
          {"level_mismatches_vs_float", m.level_mismatches},
          {"levels_compared", m.levels_compared}};
}

nlohmann::json train_json(const TrainStats& t) {
  return {{"steps", t.steps_done}, {"seconds", t.seconds}, {"images_per_second", t.images_per_second},
          {"final_loss", t.final_loss}, {"device", t.device}};
}

const VariantResult* find(const DemoResults& r, const std::string& name, int k) {
  for (const auto& v : r.variants)
    if (v.name == name && v.k == k) return &v;
  return nullptr;
}

}  // namespace

std::string demo_markdown(const DemoResults& r) {
  std::ostringstream md;
  md << "# IFQ-Net classification experiment on Fashion-MNIST\n\n";
  md << "Command: `ifq demo" << (r.options.quick ? " --quick" : "") << "`. " << r.train_images << " training images, "
     << r.steps << " steps of " << r.batch << " per network; " << r.test_images
     << " test images (separated rows on the first " << r.table2_images << ", first-substructure m sweep on the first "
     << r.sweep_images << "). Wall time " << int(r.seconds_total) << " s (training " << int(r.seconds_training)
     << " s at " << int(r.train_images_per_second) << " images/s over all parallel trainers, evaluation "
     << int(r.seconds_evaluation) << " s), " << r.options.jobs << " jobs.\n\n";
  md << "fp32 baseline: top-1 " << f4(r.fp32.top1) << ", top-5 " << f4(r.fp32.top5) << ".\n\n";

  // Table 2.
  for (const std::string variant : {"hwgq", "all_quantized"}) {
    std::vector<const VariantResult*> cols;
    for (int k : r.options.ks)
      if (auto* v = find(r, variant, k)) cols.push_back(v);
    if (cols.empty()) continue;
    md << "## Table 2: top-1 by conversion method (" << cols[0]->description << ")\n\n| method |";
    for (auto* v : cols) md << " k=" << v->k << " |";
    md << " images |\n|---|";
    for (size_t i = 0; i < cols.size(); ++i) md << "---|";
    md << "---|\n";
    std::vector<std::pair<std::string, std::string>> rows = {
        {"fp32", "fp32 baseline"},
        {"float_quant", "float quantization network (LibTorch)"},
        {"float_quant_table2_subset", "float quantization network, separated rows' images"}};
    for (auto it = r.separated_ms.rbegin(); it != r.separated_ms.rend(); ++it)
      rows.push_back({"separated_m" + std::to_string(*it), "separated (m = " + std::to_string(*it) + ")"});
    rows.push_back({"integrated", "integrated (m = 0)"});
    rows.push_back({"ifq_net", "IFQ-Net, all integer (chosen first/last m)"});
    for (auto& [key, label] : rows) {
      md << "| " << label << " |";
      int64_t images = 0;
      for (auto* v : cols) {
        auto m = v->methods.find(key);
        md << " " << (m == v->methods.end() ? std::string("-") : f4(m->second.top1)) << " |";
        if (m != v->methods.end()) images = m->second.images;
      }
      md << " " << images << " |\n";
    }
    md << "\nSeparated vs float quantization network on the same images (prediction mismatches / level mismatches "
          "at the quantized substructures' outputs):";
    for (auto* v : cols) {
      md << " k=" << v->k << ":";
      for (int m : r.separated_ms) {
        const auto it = v->methods.find("separated_m" + std::to_string(m));
        if (it != v->methods.end())
          md << " m=" << m << " " << it->second.prediction_mismatches << "/" << it->second.level_mismatches;
      }
      md << ";";
    }
    md << "\n\nIntegrated vs float quantization network:";
    for (auto* v : cols)
      md << " k=" << v->k << ": " << v->integrated_vs_float_prediction_mismatches << " prediction and "
         << v->integrated_level_mismatches << " level mismatches (of " << v->integrated_levels_compared << " levels);";
    md << "\nIFQ-Net (all integer) vs float quantization network, prediction mismatches:";
    for (auto* v : cols) md << " k=" << v->k << ": " << v->ifq_net_vs_float_prediction_mismatches << ";";
    md << "\nLibTorch float32 vs float64 (float32 rounding ties):";
    for (auto* v : cols)
      md << " k=" << v->k << ": " << v->float32_vs_float64_prediction_mismatches << " predictions, "
         << v->float32_level_mismatches << " of " << v->float32_levels_compared << " levels;";
    md << "\n\n";

    // Fig. 4.
    md << "### Fig. 4: m of the non-quantized substructures (top-1)\n\n";
    for (auto* v : cols) {
      md << "k=" << v->k << " last substructure (first in float, " << r.test_images << " images):";
      for (const auto& p : v->last_sweep)
        md << " m=" << p.m << " " << f4(p.top1) << " (" << p.prediction_mismatches << " predictions differ);";
      md << " chosen m = " << v->chosen_last_m << "\n\n";
      if (!v->first_sweep.empty()) {
        md << "k=" << v->k << " first substructure (last at m=" << v->chosen_last_m << ", all integer, " << r.sweep_images
           << " images):";
        for (const auto& p : v->first_sweep)
          md << " m=" << p.m << " " << f4(p.top1) << " (" << p.prediction_mismatches << " predictions, "
             << p.level_mismatches << " first-layer levels differ);";
        md << " chosen m = " << v->chosen_first_m << "\n\n";
      }
    }
  }

  // Table 3: bits per layer of the IFQ-Net.
  for (const auto& v : r.variants) {
    if (v.k != r.options.ks.front()) continue;
    md << "## Table 3: bits per layer, IFQ-Net " << v.name << " k=" << v.k << "\n\n";
    md << "| op | type | weight bits | output bits |\n|---|---|---|---|\n";
    for (const auto& b : v.bits)
      md << "| " << b.op << " | " << b.name << " | " << (b.weight_bits ? std::to_string(b.weight_bits) : "-") << " | "
         << b.output_bits << " |\n";
    md << "\n";
  }

  // Table 4.
  md << "## Table 4: model size and feature-map memory (Mbit), top-5\n\n";
  md << "| network | k | model size | feature maps (peak layer) | top-1 | top-5 |\n|---|---|---|---|---|---|\n";
  md << "| fp32 baseline | - | " << mbit(r.fp32.model_size_bits) << " | " << mbit(r.fp32.feature_map_peak_bits) << " | "
     << f4(r.fp32.top1) << " | " << f4(r.fp32.top5) << " |\n";
  for (const auto& v : r.variants)
    for (const std::string key : {"float_quant", "ifq_net"}) {
      const MethodResult& m = v.methods.at(key);
      md << "| " << (key == "ifq_net" ? "IFQ-Net " : "float ") << v.name << " | " << v.k << " | " << mbit(m.model_size_bits)
         << " | " << mbit(m.feature_map_peak_bits) << " | " << f4(m.top1) << " | " << f4(m.top5) << " |\n";
    }
  md << "\n";
  return md.str();
}

void write_demo_report(const DemoResults& r, const std::string& dir) {
  std::filesystem::create_directories(dir);
  nlohmann::json j;
  j["dataset"] = "fashion-mnist";
  j["quick"] = r.options.quick;
  j["train_images"] = r.train_images;
  j["test_images"] = r.test_images;
  j["table2_images"] = r.table2_images;
  j["sweep_images"] = r.sweep_images;
  j["steps_per_network"] = r.steps;
  j["batch"] = r.batch;
  j["jobs"] = r.options.jobs;
  j["seed"] = r.options.seed;
  j["seconds_total"] = r.seconds_total;
  j["seconds_training"] = r.seconds_training;
  j["seconds_evaluation"] = r.seconds_evaluation;
  j["train_images_per_second_all_jobs"] = r.train_images_per_second;
  j["m_tolerance"] = r.m_tolerance;
  j["fp32"] = method_json(r.fp32);
  j["fp32"]["train"] = train_json(r.fp32_train);
  nlohmann::json results = nlohmann::json::object();
  for (const auto& v : r.variants) {
    nlohmann::json x;
    x["description"] = v.description;
    for (const auto& [key, m] : v.methods) x[key] = method_json(m);
    x["integrated_vs_float_prediction_mismatches"] = v.integrated_vs_float_prediction_mismatches;
    x["integrated_level_mismatches"] = v.integrated_level_mismatches;
    x["integrated_levels_compared"] = v.integrated_levels_compared;
    x["ifq_net_vs_float_prediction_mismatches"] = v.ifq_net_vs_float_prediction_mismatches;
    x["libtorch_float32_vs_float64_prediction_mismatches"] = v.float32_vs_float64_prediction_mismatches;
    x["libtorch_float32_vs_float64_level_mismatches"] = v.float32_level_mismatches;
    x["chosen_first_m"] = v.chosen_first_m;
    x["chosen_last_m"] = v.chosen_last_m;
    for (const auto* sweep : {&v.last_sweep, &v.first_sweep}) {
      nlohmann::json s = nlohmann::json::array();
      for (const auto& p : *sweep)
        s.push_back({{"m", p.m}, {"top1", p.top1}, {"top5", p.top5}, {"images", p.images},
                     {"level_mismatches", p.level_mismatches}, {"levels_compared", p.levels_compared},
                     {"prediction_mismatches_vs_float", p.prediction_mismatches}});
      x[sweep == &v.last_sweep ? "last_m_sweep" : "first_m_sweep"] = s;
    }
    nlohmann::json bits = nlohmann::json::array();
    for (const auto& b : v.bits)
      bits.push_back({{"op", b.op}, {"type", b.name}, {"weight_bits", b.weight_bits}, {"output_bits", b.output_bits},
                      {"model_bits", b.model_bits}, {"feature_map_bits", b.feature_map_bits}});
    x["bits_per_layer"] = bits;
    x["substructures"] = v.substructures;
    x["train"] = train_json(v.train);
    x["model_file"] = v.model_file;
    x["golden_file"] = v.golden_file;
    results[std::to_string(v.k)][v.name] = x;
  }
  j["results"] = results;
  write_file_atomic(dir + "/report.json", j.dump(2) + "\n");
  write_file_atomic(dir + "/report.md", demo_markdown(r));
}

}  // namespace ifq::trainer
