// report.md and report.json of `ifq study quantizers` (study_results.hpp).
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ifq/atomic_file.hpp"
#include "study_results.hpp"

namespace ifq::trainer {
namespace {

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

const StudyMethod* row_named(const StudyResults& r, const std::string& name) {
  for (const auto& m : r.methods)
    if (m.name == name) return &m;
  return nullptr;
}

std::string markdown(const StudyResults& r) {
  std::ostringstream md;
  md << "# Weight quantizers on one network (`ifq study quantizers`)\n\n";
  md << "Fashion-MNIST, `models/fashion-hwgq.cfg` (first conv and last FC float, HWGQ k = 2 activations between; "
        "`binary-wide`: `models/fashion-hwgq-wide.cfg`, its binary layers twice as wide), "
     << r.steps << " steps x " << r.batch << " images per network, " << r.train_images << " training and "
     << r.test_images << " test images, seed " << r.options.seed << ", " << r.options.jobs
     << " networks trained at a time (one LibTorch thread each: train s is wall time under that sharing)"
     << (r.options.quick ? ", **--quick: figures meaningless**" : "")
     << ". Speed: fast runtime (" << r.isa << "), 1 thread, median of " << r.timing_images
     << " images per method, methods timed in alternating blocks. Total " << fmt("%.0f", r.seconds_total) << " s.\n\n";
  md << "| method | w bits | float top-1 | integrated top-1 | integer top-1 | level mismatches | model bytes | weight bytes "
        "| fmap peak bits | train s | ms / image | reference stages |\n";
  md << "|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& m : r.methods) {
    md << "| " << m.name << " | " << m.weight_bits << " | " << fmt("%.4f", m.float_top1) << " | "
       << fmt("%.4f", m.integrated_top1) << " | " << fmt("%.4f", m.integer_top1) << " | " << m.level_mismatches << " of "
       << m.levels_compared << " | " << m.model_bytes << " | " << m.weight_bytes << " | " << m.feature_map_peak_bits
       << " | " << fmt("%.1f", m.train_seconds) << " | " << fmt("%.3f", m.ms_per_image) << " | " << m.reference_stages
       << " |\n";
  }
  md << "\n*Float top-1*: LibTorch float64 of the trained float quantization network. *Integrated*: its quantized "
        "substructures converted integrated and run in integers, the rest in float (paper Table 2 protocol); *level "
        "mismatches* compare those integer levels with LibTorch's at every quantized substructure (0 is required). "
        "*Integer*: every op in integers (first and last layers converted with floor(x·2^m)). *Model bytes*: the integer "
        "model's weights, thresholds and other integers (`ifq inspect`). *Reference stages*: fast-runtime stages with no "
        "fast kernel (the exact reference op runs instead).\n\n";
  // Each multi-bit row against the binary network of the same shape and
  // against the wide binary one of about the same weight bytes.
  for (const char* peer : {"binary", "binary-wide"}) {
    const StudyMethod* b = row_named(r, peer);
    if (!b) continue;
    md << "Against `" << peer << "` in the same run:\n\n";
    for (const auto& m : r.methods) {
      if (m.weight_bits == 1) continue;
      md << "- " << m.name << ": integer top-1 " << fmt("%+.4f", m.integer_top1 - b->integer_top1) << ", weights "
         << fmt("%.2f", double(m.weight_bytes) / double(b->weight_bytes)) << "x the bytes, "
         << fmt("%.2f", m.ms_per_image / b->ms_per_image) << "x the time per image.\n";
    }
    md << "\n";
  }
  md << "Methods:\n\n";
  for (const auto& m : r.methods)
    md << "- " << m.name << ": " << m.description << (m.trainer_flags.empty() ? "" : "; `ifq train " + m.trainer_flags + "`")
       << "\n";
  return md.str();
}

}  // namespace

void write_study_report(const StudyResults& r, const std::string& dir) {
  std::filesystem::create_directories(dir);
  nlohmann::json j;
  j["dataset"] = "fashion-mnist";
  j["quick"] = r.options.quick;
  j["steps_per_network"] = r.steps;
  j["batch"] = r.batch;
  j["train_images"] = r.train_images;
  j["test_images"] = r.test_images;
  j["timing_images"] = r.timing_images;
  j["isa"] = r.isa;
  j["seed"] = r.options.seed;
  j["jobs"] = r.options.jobs;
  j["seconds_total"] = r.seconds_total;
  nlohmann::json methods = nlohmann::json::array();
  for (const auto& m : r.methods) {
    // "status" stays in the file so a reader can tell measured rows from
    // rows a future study lists without figures; every row is measured now.
    const nlohmann::json x = {{"name", m.name},
                              {"description", m.description},
                              {"status", "measured"},
                              {"cfg", "models/" + m.cfg},
                              {"weight_bits", m.weight_bits},
                              {"activation_bits", m.activation_bits},
                              {"trainer_flags", m.trainer_flags},
                              {"train_seconds", m.train_seconds},
                              {"final_loss", m.final_loss},
                              {"float_top1", m.float_top1},
                              {"integrated_top1", m.integrated_top1},
                              {"integer_top1", m.integer_top1},
                              {"integrated_prediction_mismatches_vs_float", m.integrated_prediction_mismatches},
                              {"level_mismatches", m.level_mismatches},
                              {"levels_compared", m.levels_compared},
                              {"model_bytes", m.model_bytes},
                              {"weight_bytes", m.weight_bytes},
                              {"feature_map_peak_bits", m.feature_map_peak_bits},
                              {"ms_per_image", m.ms_per_image},
                              {"reference_stages", m.reference_stages},
                              {"model_file", m.model_file}};
    methods.push_back(x);
  }
  j["methods"] = methods;
  write_file_atomic(dir + "/report.json", j.dump(2) + "\n");
  write_file_atomic(dir + "/report.md", markdown(r));
}

}  // namespace ifq::trainer
