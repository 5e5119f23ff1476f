#pragma once
// Darknet-style cfg files -> ifq::FloatModel (docs/cfg.md). No LibTorch here:
// benchmarks, the C exporter, the detector and the trainer all build their
// networks from the same cfg text.
//
// Sections: [net] [convolutional] [maxpool] [connected] [region] (Darknet's
// keys) plus ours: binary=1 (weights alpha*sign(W)), activation=hwgq with
// quant_bits=k and hwgq_step (default: the half-Gaussian optimum), pool_size /
// pool_stride inside a layer (max pooling between the weight layer and its
// batch norm, the paper's {conv, pool, BN, quant} substructure), bn_affine.
// Every error is an ifq::Error naming the file, line and key.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ifq/float_model.hpp"
#include "ifq/limits.hpp"

namespace ifq {

struct CfgOptions {
  uint64_t seed = 1;          // random weights are drawn from this seed
  bool random_weights = true; // false: zero weights, alpha 1 (shapes only)
  // Overrides of [net] (0 = keep the file's value).
  int width = 0, height = 0, channels = 0;
  // Overrides every hwgq layer's bit count (0 = keep); a layer whose k
  // changes gets the default step of the new k (a file's hwgq_step was
  // chosen for the old one).
  int quant_bits = 0;
  // Refuse a network of more weights than this, before allocating them. A
  // caller may lower it: the cfg fuzz harness does, so no run spends seconds
  // filling gigabytes that the default limit rightly allows.
  long long max_weights = limits::kMaxNetworkWeights;
};

// Training hyper-parameters of [net] (Darknet names and meanings).
struct CfgTraining {
  int batch = 128;
  double learning_rate = 0.01;
  double momentum = 0.9;
  double decay = 0.0005;   // weight decay (L2) applied to weights
  std::string policy = "steps";  // steps | constant
  std::vector<int> steps;        // iteration numbers where lr is multiplied
  std::vector<double> scales;    // ... by these factors (one per step)
  int max_batches = 1000;
  std::string optimizer = "sgd"; // sgd | adam (ours)
  // Darknet's warm-up: lr * (step / burn_in)^power for the first burn_in steps.
  int burn_in = 0;
  double burn_in_power = 4;
};

// Where one FloatModel layer came from, for messages and the trainer.
struct CfgLayerOrigin {
  int section = -1;   // index of the cfg section (0 = [net])
  int line = 0;       // line of the section header
  std::string type;   // section name, e.g. "convolutional"
};

struct CfgNetwork {
  FloatModel model;
  CfgTraining training;
  std::vector<CfgLayerOrigin> origin;   // one per model.layers entry
  std::vector<std::string> ignored_keys; // recognised Darknet keys with no effect here ("file:line: key")
  // Darknet [region] training keys (jitter, rescore, object_scale,
  // noobject_scale, class_scale, coord_scale, thresh, bias_match, ...), for
  // the detector's loss; the inference model needs none of them.
  std::map<std::string, double> region_params;
};

// Parses cfg text; `source` names it in error messages.
CfgNetwork parse_cfg(const std::string& text, const std::string& source, const CfgOptions& options = {});
CfgNetwork load_cfg_network(const std::string& path, const CfgOptions& options = {});
// The model only.
FloatModel load_cfg(const std::string& path, const CfgOptions& options = {});



}  // namespace ifq
