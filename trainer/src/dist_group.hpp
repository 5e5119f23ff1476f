#pragma once
// The process group of data-parallel training (docs/distributed.md): PyTorch's
// c10d (TCPStore rendezvous, ProcessGroupGloo on CPUs, ProcessGroupNCCL on
// GPUs) behind the few collectives the training loop needs. Internal to
// ifq_trainer (LibTorch).
#include <torch/torch.h>

#include <memory>
#include <vector>

#include "ifq/train/dist_env.hpp"

namespace ifq::trainer {

class DistGroup {
 public:
  virtual ~DistGroup() = default;
  // Joins the group described by `options` (blocks until every rank has
  // joined or options.timeout_s passes). Throws ifq::Error when this build
  // has no c10d backend of that name or the rendezvous fails.
  static std::unique_ptr<DistGroup> connect(const DistOptions& options);

  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  // In place, every rank receives the element-wise sum (identical on all ranks).
  virtual void all_reduce_sum(std::vector<torch::Tensor>& tensors) = 0;
  // In place, every rank receives rank 0's values.
  virtual void broadcast_from_primary(std::vector<torch::Tensor>& tensors) = 0;
};

// Replaces every parameter's gradient by its mean over the ranks, in buckets
// of flattened gradients (one collective per bucket, not per tensor).
void average_gradients(DistGroup& group, const std::vector<torch::Tensor>& params);

// A new tensor: `x` summed over the ranks (`x` is left as it is).
torch::Tensor sum_over_ranks(DistGroup& group, const torch::Tensor& x);

// Throws ifq::Error unless every rank computed the same `checksum` of its
// state (a replica that drifted would silently train another network).
void check_replicas_agree(DistGroup& group, uint32_t checksum, torch::Device device, const std::string& what);

}  // namespace ifq::trainer
