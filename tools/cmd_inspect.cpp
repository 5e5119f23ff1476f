// ifq inspect MODEL [--json]: substructure division, per-layer bits, memory.
#include <cstdio>
#include <iostream>

#include "command_registry.hpp"
#include "convert_flags.hpp"
#include "inspect_report.hpp"

namespace {

IFQ_REGISTER_COMMAND("inspect", "show a model's substructures, per-layer bits, model size and feature-map memory",
                     [](CLI::App& sub) -> std::function<int()> {
                       auto path = std::make_shared<std::string>();
                       auto json = std::make_shared<bool>(false);
                       auto flags = std::make_shared<ifq::cli::ConvertFlags>();
                       sub.add_option("MODEL", *path, "float or integer model file")->required();
                       sub.add_flag("--json", *json, "print JSON instead of tables");
                       flags->add_to(sub);
                       return [=]() {
                         const auto rep = ifq::cli::inspect_model(*path, flags->resolved());
                         if (*json)
                           std::cout << rep.json.dump(2) << "\n";
                         else
                           std::cout << rep.text;
                         return 0;
                       };
                     });

}  // namespace
