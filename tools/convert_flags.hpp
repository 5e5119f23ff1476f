#pragma once
// The conversion flags shared by `ifq inspect` and `ifq convert`.
#include <CLI/CLI.hpp>
#include <memory>

#include "ifq/convert.hpp"

namespace ifq::cli {

struct ConvertFlags {
  int separated_m = -1;  // -1: integrated
  ConvertOptions options;

  void add_to(CLI::App& sub) {
    sub.add_option("--separated", separated_m,
                   "convert quantized substructures separately with Q_m = 2^M (paper Table 2) instead of integrated")
        ->check(CLI::Range(0, 24));
    sub.add_option("--first-m", options.first_m, "m for the substructure fed by the image")->check(CLI::Range(0, 24));
    sub.add_option("--last-m", options.last_m, "m for the output substructure")->check(CLI::Range(0, 24));
    sub.add_option("--middle-m", options.middle_m, "m for other non-quantized substructures")->check(CLI::Range(0, 24));
    sub.add_flag("!--no-fold", options.fold_thresholds_in_nonquantized,
                 "convert every value of non-quantized substructures separately (Eq. 5) instead of folding thresholds");
  }
  ConvertOptions resolved() const {
    ConvertOptions o = options;
    if (separated_m >= 0) {
      o.quantized = ConversionKind::Separated;
      o.quantized_m = separated_m;
    }
    return o;
  }
};

}  // namespace ifq::cli
