// The launcher environment of data-parallel training (dist_env.hpp).
#include "ifq/train/dist_env.hpp"

#include <cstdlib>

#include "ifq/error.hpp"

namespace ifq::trainer {
namespace {

int parse_int(const std::string& name, const std::string& text, int lo, int hi) {
  size_t used = 0;
  long v = 0;
  try {
    v = std::stol(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || v < lo || v > hi)
    throw Error("environment variable " + name + "='" + text + "' is not an integer in [" + std::to_string(lo) +
                ", " + std::to_string(hi) + "]");
  return int(v);
}

}  // namespace

DistOptions dist_options_from_env(const std::string& backend, double timeout_s, bool sync_bn, const EnvLookup& getenv) {
  if (backend != "gloo" && backend != "nccl")
    throw Error("--dist-backend '" + backend + "' is not known (gloo for CPUs, nccl for GPUs)");
  const EnvLookup lookup = getenv ? getenv : [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);
    return v ? std::optional<std::string>(v) : std::nullopt;
  };
  auto need = [&](const char* name) {
    auto v = lookup(name);
    if (!v || v->empty())
      throw Error(std::string("--dist-backend ") + backend + " needs the launcher variable " + name +
                  " (set RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT, or start with `ifq launch --nproc N -- ifq "
                  "train ...`)");
    return *v;
  };
  DistOptions d;
  d.backend = backend;
  d.timeout_s = timeout_s;
  d.sync_bn = sync_bn;
  d.world_size = parse_int("WORLD_SIZE", need("WORLD_SIZE"), 1, 1 << 20);
  d.rank = parse_int("RANK", need("RANK"), 0, d.world_size - 1);
  if (auto local = lookup("LOCAL_RANK"); local && !local->empty())
    d.local_rank = parse_int("LOCAL_RANK", *local, 0, d.world_size - 1);
  else
    d.local_rank = d.rank;
  d.master_addr = need("MASTER_ADDR");
  d.master_port = parse_int("MASTER_PORT", need("MASTER_PORT"), 1, 65535);
  if (!(timeout_s > 0)) throw Error("--dist-timeout must be positive");
  return d;
}

BatchShard batch_shard(int global_batch, int rank, int world_size) {
  if (world_size < 1 || rank < 0 || rank >= world_size)
    throw Error("rank " + std::to_string(rank) + " is outside a world of " + std::to_string(world_size));
  if (global_batch % world_size != 0)
    throw Error("the batch of " + std::to_string(global_batch) + " does not divide among " +
                std::to_string(world_size) + " processes; give a --batch that is a multiple of WORLD_SIZE");
  const int per = global_batch / world_size;
  return {rank * per, per};
}

}  // namespace ifq::trainer
