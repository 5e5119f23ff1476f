#pragma once
// One small model per op of the registry (include/ifq/ops/op_list.hpp), with
// random parameters: the one test list every op must be on. The registry
// tests run each sample through the model file, validation, both runtimes,
// the memory report and the C export; an op missing here fails
// OpRegistry.EveryOpHasASample.
#include <random>
#include <string>
#include <vector>

#include "ifq/int_model.hpp"

namespace ifq::testing {

struct OpSample {
  std::string op;  // registry name of the op under test
  IntModel model;
};

// Every op's samples, drawn from `rng`.
std::vector<OpSample> op_samples(std::mt19937& rng);

// The registry's op names, in list order.
std::vector<std::string> registry_op_names();

}  // namespace ifq::testing
