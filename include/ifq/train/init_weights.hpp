#pragma once
// Starting a network from another trained one (ifq train --init): the
// quantization network of a detector is fine-tuned from its float twin, whose
// convolutions and batch norms have the same shapes but whose activations
// (leaky vs hwgq) and weight kinds (float vs binary) differ.
#include <string>

#include "ifq/float_model.hpp"

namespace ifq::trainer {

// Copies, in order, the n-th convolution / fully connected layer's weights
// and bias and the n-th batch norm's statistics and affine parameters of
// `from` into `into`. Weight kinds may differ (binary layers recompute alpha
// from the copied latent weights when training). Throws ifq::Error naming
// `from_name` when the two have different numbers or shapes of such layers.
// Returns the number of layers copied. A conv that reads its input r times
// (DupNet input_repeat) may start from one that reads it once: its blocks
// are the source's weights / r, the same function. A conv that shares its
// filters less (DupNet duplicate d' dividing the source's d) may start from
// the source: its stored filters are the source's tiled d / d' times, the
// same function, so spare weight budget can be spent on a trained network.
//
// prefix_only (ifq train --init-backbone): copy the network's layers in
// order, each from the next of its kind in `from`, and stop at the first
// whose shape does not match (or where `from` has no more of that kind),
// e.g. a backbone under a new detection head: nothing after that layer is
// copied, so a batch norm is never copied without its conv. Throws when
// nothing at all fits.
int copy_trained_weights(FloatModel& into, const FloatModel& from, const std::string& from_name,
                         bool prefix_only = false);

}  // namespace ifq::trainer
