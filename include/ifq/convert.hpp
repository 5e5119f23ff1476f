#pragma once
// Float quantization network -> integer network (paper §2.2 and §3.2).
#include <string>
#include <vector>

#include "ifq/float_model.hpp"
#include "ifq/int_model.hpp"

namespace ifq {

struct ConvertOptions {
  // Quantized substructures: integrated (exact, m = 0) or separated with
  // Q_m = 2^quantized_m (the paper's Table 2 comparison).
  ConversionKind quantized = ConversionKind::Integrated;
  int quantized_m = 12;
  // Non-quantized substructures are always separated; m per position.
  int first_m = 9;   // the substructure fed by the image (paper: 9)
  int last_m = 14;   // the substructure producing the outputs (paper: 14)
  int middle_m = 12; // any other non-quantized substructure
  // For a non-quantized substructure that ends in a quantizer (the first
  // layer): fold bias/BN/thresholds into integer thresholds after the weights
  // were converted with 2^m (only the weights lose precision), or convert every
  // value separately as paper Eq. 5 does.
  bool fold_thresholds_in_nonquantized = true;
};

struct ConversionNote {
  int substructure = 0;
  std::string text;
};

struct ConvertResult {
  IntModel model;
  std::vector<ConversionNote> notes;  // e.g. channels with zero/negative scale
};

ConvertResult convert(const FloatModel& model, const ConvertOptions& options = {});

// The paper's compact uniform threshold form thr'_i = i*base' + offset'
// (Eq. 8). After flooring each threshold, a uniform (base, offset) pair in
// integers reproduces the exact thresholds only in special cases. This
// reports, per integrated threshold op, how many channels the compact form
// (first threshold stored apart, since HWGQ's first threshold is 0 not 0.5
// step; the rest as floor(base + i*delta) with integer base and delta)
// reproduces exactly.
struct CompactFormReport {
  int op_index = 0;
  int channels = 0;
  int channels_exact = 0;
};
std::vector<CompactFormReport> compact_threshold_report(const IntModel& model);

}  // namespace ifq
