// ifq verify --model FLOAT: convert and prove, on random images, that the
// integer network's levels equal the float quantization network's.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>

#include "command_registry.hpp"
#include "convert_flags.hpp"
#include "ifq/model_io.hpp"
#include "ifq/verify.hpp"

namespace {

IFQ_REGISTER_COMMAND(
    "verify", "convert a float model and compare the integer levels with the float network's on random images",
    [](CLI::App& sub) -> std::function<int()> {
      auto path = std::make_shared<std::string>();
      auto images = std::make_shared<int>(200);
      auto seed = std::make_shared<unsigned>(1);
      auto json = std::make_shared<bool>(false);
      auto flags = std::make_shared<ifq::cli::ConvertFlags>();
      sub.add_option("--model", *path, "float model file")->required();
      sub.add_option("--images", *images, "number of random 8-bit images")->check(CLI::Range(1, 1000000));
      sub.add_option("--seed", *seed, "random seed");
      sub.add_flag("--json", *json, "print JSON");
      flags->add_to(sub);
      return [=]() {
        const auto fm = ifq::load_float_model(*path);
        const auto im = ifq::convert(fm, flags->resolved()).model;
        const auto shape = std::get<ifq::InputLayer>(fm.layers[0]).shape;
        std::mt19937 rng(*seed);
        std::uniform_int_distribution<int> pixel(0, 255);
        std::vector<std::vector<uint8_t>> batch(size_t(*images), std::vector<uint8_t>(size_t(shape.elements())));
        for (auto& img : batch)
          for (auto& p : img) p = uint8_t(pixel(rng));
        const auto rep = ifq::verify_conversion(fm, im, batch);
        nlohmann::json j;
        j["inputs"] = rep.inputs;
        j["quantized_levels_compared"] = rep.quantized_compared();
        j["quantized_levels_mismatched"] = rep.quantized_mismatched();
        j["end_to_end_levels_compared"] = rep.end_to_end_compared;
        j["end_to_end_levels_mismatched"] = rep.end_to_end_mismatched;
        for (const auto& s : rep.substructures)
          j["substructures"].push_back({{"index", s.index + 1},
                                        {"kind", s.kind == ifq::SubstructureKind::Quantized ? "quantized" : "non-quantized"},
                                        {"levels_compared", s.levels_compared},
                                        {"levels_mismatched", s.levels_mismatched}});
        if (*json) {
          std::cout << j.dump(2) << "\n";
        } else {
          std::printf("%lld random images, each substructure fed the float network's input levels:\n", (long long)rep.inputs);
          for (const auto& s : rep.substructures)
            std::printf("  substructure %-3d %-14s %12lld levels, %10lld differ\n", s.index + 1,
                        s.kind == ifq::SubstructureKind::Quantized ? "quantized" : "non-quantized",
                        (long long)s.levels_compared, (long long)s.levels_mismatched);
          std::printf("quantized substructures: %lld of %lld levels differ\n", (long long)rep.quantized_mismatched(),
                      (long long)rep.quantized_compared());
          std::printf("integer network alone, every quantizer: %lld of %lld levels differ\n",
                      (long long)rep.end_to_end_mismatched, (long long)rep.end_to_end_compared);
        }
        // Integrated conversion promises exactness: a difference is a failure.
        const bool integrated = flags->separated_m < 0;
        return integrated && rep.quantized_mismatched() != 0 ? 3 : 0;
      };
    });

}  // namespace
