// ifq roc-plot --curve LABEL=DiscROC.txt ... --out FILE.png: several
// detectors' discrete ROCs in one figure (paper Fig. 5).
#include <iostream>
#include <memory>

#include "command_registry.hpp"
#include "ifq/detect/roc_plot.hpp"
#include "ifq/error.hpp"

namespace {

IFQ_REGISTER_COMMAND("roc-plot", "plot several DiscROC.txt files in one PNG",
                     [](CLI::App& sub) -> std::function<int()> {
                       auto curves = std::make_shared<std::vector<std::string>>();
                       auto out = std::make_shared<std::string>();
                       auto options = std::make_shared<ifq::detect::RocPlotOptions>();
                       sub.add_option("--curve", *curves, "LABEL=FILE (repeat)")->required();
                       sub.add_option("--out", *out, "PNG file")->required();
                       sub.add_option("--fp-budget", options->fp_budget, "mark this FP count");
                       sub.add_option("--fp-max", options->fp_max, "x-axis range (default: largest FP)");
                       sub.add_option("--title", options->title)->capture_default_str();
                       return [=]() {
                         std::vector<ifq::detect::RocCurve> list;
                         for (const std::string& c : *curves) {
                           const size_t eq = c.find('=');
                           if (eq == std::string::npos || eq == 0 || eq + 1 == c.size())
                             throw ifq::Error("--curve needs LABEL=FILE, got \"" + c + "\"");
                           list.push_back({c.substr(0, eq), ifq::detect::load_roc(c.substr(eq + 1))});
                         }
                         ifq::detect::save_roc_plot(list, *out, *options);
                         std::cout << "wrote " << *out << "\n";
                         return 0;
                       };
                     });

}  // namespace
