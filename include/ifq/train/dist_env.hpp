#pragma once
// Data-parallel training settings (docs/distributed.md), read from the
// environment a PyTorch launcher sets (torchrun, Slurm scripts, Kubernetes
// jobs, `ifq launch`): RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT.
// No LibTorch here: the CLI parses and checks these before the trainer starts.
#include <functional>
#include <optional>
#include <string>

namespace ifq::trainer {

struct DistOptions {
  std::string backend;                 // "" = one process; "gloo" (CPUs) or "nccl" (GPUs)
  int rank = 0, world_size = 1, local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  double timeout_s = 120;              // rendezvous and every collective: a dead peer is an error after this
  // BN statistics over the global batch (all ranks), so N processes train
  // the same network as one; false keeps per-rank statistics (faster, and
  // what plain DDP does).
  bool sync_bn = true;
  bool active() const { return !backend.empty(); }
  bool primary() const { return rank == 0; }  // writes checkpoints, logs and the model
};

// Reads the launcher variables through `getenv` (std::getenv by default) and
// checks them; throws ifq::Error naming the variable that is missing or wrong.
using EnvLookup = std::function<std::optional<std::string>(const char* name)>;
DistOptions dist_options_from_env(const std::string& backend, double timeout_s, bool sync_bn,
                                  const EnvLookup& getenv = {});

// The per-rank share of a global batch: rank r trains samples
// [first, first + count) of each step's `global_batch`.
struct BatchShard {
  int first = 0, count = 0;
};
// Throws unless the global batch divides evenly (equal shards keep the
// averaged gradient equal to the one-process gradient of the same batch).
BatchShard batch_shard(int global_batch, int rank, int world_size);

}  // namespace ifq::trainer
