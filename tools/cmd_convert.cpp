// ifq convert --in FLOAT --out INT: the float quantization network becomes an
// integer network (integrated by default).
#include <cstdio>
#include <filesystem>

#include "command_registry.hpp"
#include "convert_flags.hpp"
#include "ifq/error.hpp"
#include "ifq/model_io.hpp"

namespace {

IFQ_REGISTER_COMMAND("convert", "convert a float quantization network into an integer network",
                     [](CLI::App& sub) -> std::function<int()> {
                       auto in = std::make_shared<std::string>();
                       auto out = std::make_shared<std::string>();
                       auto flags = std::make_shared<ifq::cli::ConvertFlags>();
                       auto input = std::make_shared<std::string>();
                       sub.add_option("--in", *in, "float model file")->required();
                       sub.add_option("--input", *input,
                                      "WxH: run a fully convolutional network (e.g. a detector) at another input "
                                      "size, e.g. 160x120 for a microcontroller");
                       sub.add_option("--out", *out, "integer model file to write")->required();
                       flags->add_to(sub);
                       return [=]() {
                         std::error_code ec;
                         if (std::filesystem::equivalent(*in, *out, ec))
                           throw ifq::Error("--out " + *out + " is the float model being converted; write the "
                                            "integer model to another file");
                         auto model = ifq::load_float_model(*in);
                         if (!input->empty()) {
                           int w = 0, h = 0;
                           char x = 0, extra = 0;
                           if (std::sscanf(input->c_str(), "%d%c%d%c", &w, &x, &h, &extra) != 3 || x != 'x' || w < 1 ||
                               h < 1 || w > 16384 || h > 16384)
                             throw ifq::Error("--input '" + *input + "': expected WxH, e.g. 160x120");
                           auto& shape = std::get<ifq::InputLayer>(model.layers.at(0)).shape;
                           shape.w = w, shape.h = h;
                           ifq::infer_shapes(model);  // a network with fully connected layers refuses another size here
                         }
                         const auto result = ifq::convert(model, flags->resolved());
                         for (const auto& n : result.notes)
                           std::printf("substructure %d: %s\n", n.substructure + 1, n.text.c_str());
                         ifq::save_int_model(result.model, *out);
                         std::printf("wrote %s (%zu integer ops)\n", out->c_str(), result.model.ops.size());
                         return 0;
                       };
                     });

}  // namespace
