// ifq resave IN OUT: reads a float or integer model file and writes it again
// with this version of ifq, so a file written before per-tensor checksums
// (docs/model-format.md, `ifq.crc32`) gets them; the values do not change.
#include <cstdio>

#include "command_registry.hpp"
#include "ifq/model_io.hpp"

namespace {

IFQ_REGISTER_COMMAND("resave", "write a model file again with this ifq (adds the per-tensor checksums older files lack)",
                     [](CLI::App& sub) -> std::function<int()> {
                       auto in = std::make_shared<std::string>();
                       auto out = std::make_shared<std::string>();
                       sub.add_option("IN", *in, "float or integer model file")->required();
                       sub.add_option("OUT", *out, "file to write (may be IN: it is replaced only once written whole)")
                           ->required();
                       return [=]() {
                         // Loading checks everything a damaged file can get wrong, so
                         // only an intact model is written, through a temporary file.
                         const std::string kind = ifq::model_file_kind(*in);
                         if (kind == "int")
                           ifq::save_int_model(ifq::load_int_model(*in), *out);
                         else
                           ifq::save_float_model(ifq::load_float_model(*in), *out);
                         std::printf("%s model %s written to %s with per-tensor CRC-32 checksums\n", kind.c_str(),
                                     in->c_str(), out->c_str());
                         return 0;
                       };
                     });

}  // namespace
