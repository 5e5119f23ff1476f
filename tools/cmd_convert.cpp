// ifq convert --in FLOAT --out INT: the float quantization network becomes an
// integer network (integrated by default).
#include <cstdio>

#include "command_registry.hpp"
#include "convert_flags.hpp"
#include "ifq/model_io.hpp"

namespace {

IFQ_REGISTER_COMMAND("convert", "convert a float quantization network into an integer network",
                     [](CLI::App& sub) -> std::function<int()> {
                       auto in = std::make_shared<std::string>();
                       auto out = std::make_shared<std::string>();
                       auto flags = std::make_shared<ifq::cli::ConvertFlags>();
                       sub.add_option("--in", *in, "float model file")->required();
                       sub.add_option("--out", *out, "integer model file to write")->required();
                       flags->add_to(sub);
                       return [=]() {
                         const auto model = ifq::load_float_model(*in);
                         const auto result = ifq::convert(model, flags->resolved());
                         for (const auto& n : result.notes)
                           std::printf("substructure %d: %s\n", n.substructure + 1, n.text.c_str());
                         ifq::save_int_model(result.model, *out);
                         std::printf("wrote %s (%zu integer ops)\n", out->c_str(), result.model.ops.size());
                         return 0;
                       };
                     });

}  // namespace
