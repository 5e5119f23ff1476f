// ifq cfg-size CFG...: model size and feature-map peak of cfg presets without
// training them (sizes do not depend on the weights): float32 bytes, and the
// integer model's bytes and peak after integrated conversion — the paper's
// Table 5 size row for Tiny-YOLO, IFQ-Tiny-YOLO, Tinier-YOLO, IFQ-Tinier-YOLO.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "command_registry.hpp"
#include "ifq/cfg.hpp"
#include "ifq/convert.hpp"
#include "ifq/memory.hpp"

namespace {

IFQ_REGISTER_COMMAND(
    "cfg-size", "model size (float32 and integer) and feature-map peak of cfg networks, untrained",
    [](CLI::App& sub) -> std::function<int()> {
      auto cfgs = std::make_shared<std::vector<std::string>>();
      auto size = std::make_shared<int>(0);
      auto json = std::make_shared<bool>(false);
      sub.add_option("CFG", *cfgs, "cfg files (models/*.cfg)")->required();
      sub.add_option("--size", *size, "input width and height (default: the cfg's)")->check(CLI::Range(32, 4096));
      sub.add_flag("--json", *json, "print JSON");
      return [=]() {
        nlohmann::json rows = nlohmann::json::array();
        for (const std::string& path : *cfgs) {
          ifq::CfgOptions co;
          co.width = co.height = *size;
          const ifq::FloatModel fm = ifq::load_cfg(path, co);
          const ifq::MemoryReport m = ifq::account_memory(ifq::convert(fm).model);
          rows.push_back({{"cfg", path},
                          {"input", std::get<ifq::InputLayer>(fm.layers[0]).shape.str()},
                          {"parameters", ifq::count_parameters(fm)},
                          {"float32_bytes", ifq::count_parameters(fm) * 4},
                          {"float32_feature_map_peak_bytes", ifq::largest_layer_elements(fm) * 4},
                          {"integer_weight_bytes", m.weight_size_bytes},
                          {"integer_model_bytes", m.model_size_bytes},
                          {"integer_feature_map_peak_bytes", (m.feature_map_peak_bits + 7) / 8}});
        }
        if (*json) {
          std::cout << rows.dump(2) << "\n";
          return 0;
        }
        std::printf("| cfg | input | parameters | float32 bytes | float32 map peak | integer weight bytes (paper) | "
                    "integer model bytes (all) | integer map peak |\n|---|---|---|---|---|---|---|---|\n");
        for (const auto& r : rows)
          std::printf("| %s | %s | %lld | %lld | %lld | %lld | %lld | %lld |\n", r["cfg"].get<std::string>().c_str(),
                      r["input"].get<std::string>().c_str(), r["parameters"].get<long long>(),
                      r["float32_bytes"].get<long long>(), r["float32_feature_map_peak_bytes"].get<long long>(),
                      r["integer_weight_bytes"].get<long long>(), r["integer_model_bytes"].get<long long>(), r["integer_feature_map_peak_bytes"].get<long long>());
        return 0;
      };
    });

}  // namespace
