// `ifq export-c`: writes an integer model as C99 sources for microcontrollers
// and reports the flash and RAM it needs (docs/microcontroller.md).
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "command_registry.hpp"
#include "convert_flags.hpp"
#include "ifq/convert.hpp"
#include "ifq/error.hpp"
#include "ifq/export_c.hpp"
#include "ifq/model_io.hpp"
#if IFQ_EXPORT_HAVE_CFG
#include "ifq/cfg.hpp"
#endif

namespace {

struct ExportCArgs {
  std::string model, out, name;
  bool json = false, no_sizes = false;
  std::string gcc = "arm-none-eabi-gcc", size = "arm-none-eabi-size";
  int width = 0, height = 0;
  uint64_t seed = 1;
  ifq::cli::ConvertFlags convert;
};

bool is_cfg_path(const std::string& path) { return std::filesystem::path(path).extension() == ".cfg"; }

int run_export_c(const ExportCArgs& a) {
  ifq::IntModel model;
  if (is_cfg_path(a.model)) {
#if IFQ_EXPORT_HAVE_CFG
    // Random weights: flash, RAM and the arena do not depend on their values.
    ifq::CfgOptions cfg;
    cfg.seed = a.seed;
    cfg.width = a.width;
    cfg.height = a.height;
    model = ifq::convert(ifq::load_cfg(a.model, cfg), a.convert.resolved()).model;
    if (!a.json) std::cerr << "note: " << a.model << " built with random weights (seed " << a.seed << ")\n";
#else
    throw ifq::Error("export-c: " + a.model + " is a cfg file, but this build has no cfg parser (ifq_cfg)");
#endif
  } else if (ifq::model_file_kind(a.model) == "int") {
    if (a.width || a.height) throw ifq::Error("export-c: --width/--height apply to cfg files only");
    model = ifq::load_int_model(a.model);
  } else {
    if (a.width || a.height) throw ifq::Error("export-c: --width/--height apply to cfg files only");
    model = ifq::convert(ifq::load_float_model(a.model), a.convert.resolved()).model;
    if (!a.json) std::cerr << "note: " << a.model << " is a float model; converted first\n";
  }
  ifq::ExportCOptions options;
  options.name = a.name.empty() ? ifq::export_name_from(std::filesystem::path(a.model).stem().string()) : a.name;
  const ifq::ExportedC exported = ifq::export_c(model, options);
  const std::vector<std::string> files = ifq::write_export(exported, a.out);

  std::vector<ifq::TargetSizes> sizes;
  ifq::CrossTools tools{a.gcc, a.size};
  if (!a.no_sizes) {
    if (ifq::cross_compiler_available(tools))
      sizes = ifq::measure_cortex_m(exported, a.out, {"cortex-m4", "cortex-m7"}, tools);
    else if (!a.json)
      std::cerr << "note: " << a.gcc << " not found; Cortex-M sizes not measured\n";
  }
  const ifq::ExportReport report = ifq::make_export_report(exported, sizes, files);
  if (a.json)
    std::cout << ifq::export_report_json(report) << "\n";
  else
    std::cout << ifq::export_report_text(report);
  return 0;
}

}  // namespace

IFQ_REGISTER_COMMAND("export-c", "Export an integer model as C99 sources for microcontrollers",
                     [](CLI::App& sub) {
                       auto args = std::make_shared<ExportCArgs>();
                       sub.add_option("model", args->model,
                                      "Integer model file (a float model or a .cfg file is converted first)")
                           ->required()
                           ->check(CLI::ExistingFile);
                       sub.add_option("--out", args->out, "Output directory")->required();
                       sub.add_option("--name", args->name,
                                      "C identifier prefixing symbols and files (default: from the model file)");
                       sub.add_flag("--json", args->json, "Print the report as JSON");
                       sub.add_flag("--no-sizes", args->no_sizes, "Skip the Cortex-M cross build");
                       sub.add_option("--cross-gcc", args->gcc, "Cross compiler (default arm-none-eabi-gcc)");
                       sub.add_option("--cross-size", args->size, "Size tool (default arm-none-eabi-size)");
                       sub.add_option("--width", args->width, "cfg input: override [net] width")
                           ->check(CLI::Range(1, 16384));
                       sub.add_option("--height", args->height, "cfg input: override [net] height")
                           ->check(CLI::Range(1, 16384));
                       sub.add_option("--seed", args->seed, "cfg input: seed of the random weights");
                       args->convert.add_to(sub);
                       return [args]() -> int { return run_export_c(*args); };
                     });
