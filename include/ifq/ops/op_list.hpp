#pragma once
// The integer op registry: every op an integer model can hold, listed once.
//
//   X(Struct, name, role)
//
// Struct is declared in include/ifq/ops/<name>.hpp and its behaviour (stored
// fields and their limits, validation, reference arithmetic, memory rule,
// value range, C emission) is defined in src/ops/<name>.cpp; `name` is the
// op's type string in model files. `role` says which arithmetic the op
// defines: `pointwise` ops map one value of channel c to one value
// (pointwise_value(), which both runtimes and the reference use), `layer`
// ops define reference() over a whole tensor. Everything that handles ops
// (model file, validation, runtimes, memory report, C export, inspect)
// dispatches through this list, so a missing definition is a link error.
// docs/adding-an-op.md walks through adding one.
#include "ifq/ops/batchnorm.hpp"
#include "ifq/ops/clamp.hpp"
#include "ifq/ops/conv.hpp"
#include "ifq/ops/fc.hpp"
#include "ifq/ops/input.hpp"
#include "ifq/ops/leaky.hpp"
#include "ifq/ops/maxpool.hpp"
#include "ifq/ops/quant.hpp"
#include "ifq/ops/relu.hpp"
#include "ifq/ops/requant.hpp"
#include "ifq/ops/threshold.hpp"

// The order is the IntOp variant's; append new ops at the end.
#define IFQ_INT_OPS(X)                    \
  X(IntInputOp, input, layer)             \
  X(IntConvOp, conv, layer)               \
  X(IntFcOp, fc, layer)                   \
  X(IntMaxPoolOp, maxpool, layer)         \
  X(IntThresholdOp, threshold, pointwise) \
  X(IntRequantOp, requant, pointwise)     \
  X(IntBatchNormOp, batchnorm, pointwise) \
  X(IntQuantOp, quant, pointwise)         \
  X(IntReluOp, relu, pointwise)           \
  X(IntLeakyOp, leaky, pointwise)         \
  X(IntClampOp, clamp, pointwise)
