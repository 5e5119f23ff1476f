// c10d behind DistGroup (dist_group.hpp). Compiled with IFQ_HAVE_C10D_GLOO /
// IFQ_HAVE_C10D_NCCL when the LibTorch build ships those backends and their
// headers (trainer/CMakeLists.txt); without them `connect` explains what is
// missing, and the one-process trainer is unchanged.
#include "dist_group.hpp"

#include <chrono>
#include <cstdint>
#include <string>

#include "ifq/error.hpp"

#if defined(IFQ_HAVE_C10D_GLOO) || defined(IFQ_HAVE_C10D_NCCL)
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif
#ifdef IFQ_HAVE_C10D_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef IFQ_HAVE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace ifq::trainer {
namespace {

#if defined(IFQ_HAVE_C10D_GLOO) || defined(IFQ_HAVE_C10D_NCCL)
// c10d's message without its C++ stack trace, at most 400 characters.
std::string c10d_reason(const std::exception& e) {
  std::string reason = e.what();
  if (const size_t nl = reason.find("\nException raised from"); nl != std::string::npos) reason.resize(nl);
  return reason.substr(0, 400);
}

// A failed collective is a peer that died, hung past the timeout or cannot
// be reached: say so, once, with c10d's own reason.
[[noreturn]] void collective_failed(int rank, const char* what, const std::exception& e) {
  throw Error("rank " + std::to_string(rank) + ": " + what +
              " failed: another process stopped, hung past --dist-timeout or cannot be reached (" + c10d_reason(e) +
              ")");
}

// Works with LibTorch 1.13 (ProcessGroup) and 2.x (Backend): both have
// allreduce/broadcast returning a Work to wait on.
template <class Group>
class C10dGroup : public DistGroup {
 public:
  C10dGroup(c10::intrusive_ptr<Group> group, int rank, int world) : group_(std::move(group)), rank_(rank), world_(world) {}
  int rank() const override { return rank_; }
  int world_size() const override { return world_; }
  void all_reduce_sum(std::vector<torch::Tensor>& tensors) override {
    each(tensors, "all-reduce", [&](std::vector<at::Tensor>& one) { return group_->allreduce(one); });
  }
  void broadcast_from_primary(std::vector<torch::Tensor>& tensors) override {
    each(tensors, "broadcast", [&](std::vector<at::Tensor>& one) { return group_->broadcast(one); });
  }

 private:
  // One collective per tensor, waited for; a failure names the peer problem.
  template <class Start>
  void each(std::vector<torch::Tensor>& tensors, const char* what, const Start& start) {
    for (auto& t : tensors) {
      std::vector<at::Tensor> one{t};
      try {
        start(one)->wait();
      } catch (const std::exception& e) {
        collective_failed(rank_, what, e);
      }
    }
  }
  c10::intrusive_ptr<Group> group_;
  int rank_, world_;
};

c10::intrusive_ptr<c10d::Store> rendezvous(const DistOptions& o, std::chrono::milliseconds timeout) {
  c10d::TCPStoreOptions so;
  so.port = uint16_t(o.master_port);
  so.isServer = o.rank == 0;
  so.numWorkers = size_t(o.world_size);
  so.waitWorkers = true;
  so.timeout = timeout;
  try {
    auto tcp = c10::make_intrusive<c10d::TCPStore>(o.master_addr, so);
    return c10::make_intrusive<c10d::PrefixStore>("ifq", tcp);
  } catch (const std::exception& e) {
    throw Error("rank " + std::to_string(o.rank) + ": rendezvous at " + o.master_addr + ":" +
                std::to_string(o.master_port) + " failed within " + std::to_string(int(o.timeout_s)) +
                " s (every rank must start and reach MASTER_ADDR:MASTER_PORT; is the port taken?): " +
                c10d_reason(e));
  }
}
#endif

#ifdef IFQ_HAVE_C10D_GLOO
bool is_loopback(const std::string& addr) { return addr == "localhost" || addr.rfind("127.", 0) == 0 || addr == "::1"; }
#endif

}  // namespace

std::unique_ptr<DistGroup> DistGroup::connect(const DistOptions& o) {
  const auto timeout = std::chrono::milliseconds(int64_t(o.timeout_s * 1000));
  if (o.backend == "gloo") {
#ifdef IFQ_HAVE_C10D_GLOO
    auto store = rendezvous(o, timeout);
    auto options = c10d::ProcessGroupGloo::Options::create(timeout);
    // PyTorch's rule: GLOO_SOCKET_IFNAME names the interface; otherwise a
    // loopback master means one machine (bind to loopback), else the
    // address this machine's hostname resolves to.
    try {
      if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname)
        options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
      else if (is_loopback(o.master_addr))
        options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
      else
        options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      options->threads = 2;
      auto group = c10::make_intrusive<c10d::ProcessGroupGloo>(store, o.rank, o.world_size, options);
      return std::make_unique<C10dGroup<c10d::ProcessGroupGloo>>(group, o.rank, o.world_size);
    } catch (const std::exception& e) {
      collective_failed(o.rank, "joining the Gloo group", e);
    }
#else
    throw Error("--dist-backend gloo: this ifq was built without c10d's Gloo backend (LibTorch without "
                "USE_DISTRIBUTED, or the gloo headers missing: apt install libgloo-dev, then rebuild)");
#endif
  }
  if (o.backend == "nccl") {
#ifdef IFQ_HAVE_C10D_NCCL
    auto store = rendezvous(o, timeout);
    auto options = c10d::ProcessGroupNCCL::Options::create();
    options->timeout = timeout;
    try {
      auto group = c10::make_intrusive<c10d::ProcessGroupNCCL>(store, o.rank, o.world_size, options);
      return std::make_unique<C10dGroup<c10d::ProcessGroupNCCL>>(group, o.rank, o.world_size);
    } catch (const std::exception& e) {
      collective_failed(o.rank, "joining the NCCL group", e);
    }
#else
    throw Error("--dist-backend nccl: this ifq was built without c10d's NCCL backend (it needs a CUDA LibTorch "
                "with NCCL, e.g. pip's torch on a GPU machine; use gloo on CPUs)");
#endif
  }
  throw Error("--dist-backend '" + o.backend + "' is not known (gloo, nccl)");
}

void average_gradients(DistGroup& group, const std::vector<torch::Tensor>& params) {
  if (group.world_size() == 1) return;
  // About 4 MB per bucket: few collectives, bounded extra memory.
  constexpr int64_t kBucketElements = int64_t(1) << 20;
  std::vector<torch::Tensor> bucket;
  int64_t elements = 0;
  auto flush = [&] {
    if (bucket.empty()) return;
    std::vector<torch::Tensor> flat{torch::cat(bucket)};
    group.all_reduce_sum(flat);
    flat[0].div_(double(group.world_size()));
    int64_t at = 0;
    for (auto& g : bucket) {
      g.copy_(flat[0].narrow(0, at, g.numel()).view_as(g));
      at += g.numel();
    }
    bucket.clear();
    elements = 0;
  };
  for (const auto& p : params) {
    // A parameter without a gradient this step (unused) still joins, as zeros,
    // so every rank issues the same collectives.
    if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
    bucket.push_back(p.grad().view({-1}));
    elements += p.numel();
    if (elements >= kBucketElements) flush();
  }
  flush();
}

torch::Tensor sum_over_ranks(DistGroup& group, const torch::Tensor& x) {
  std::vector<torch::Tensor> t{x.detach().contiguous().clone()};
  group.all_reduce_sum(t);
  return t[0];
}

void check_replicas_agree(DistGroup& group, uint32_t checksum, torch::Device device, const std::string& what) {
  // Each rank puts its checksum in its own slot; the sum gathers them all
  // (on the model's device: NCCL reduces only GPU tensors).
  torch::Tensor mine = torch::zeros({group.world_size()}, torch::kInt64);
  mine[group.rank()] = int64_t(checksum);
  const torch::Tensor gathered = sum_over_ranks(group, mine.to(device)).to(torch::kCPU);
  const auto all = gathered.accessor<int64_t, 1>();
  for (int r = 1; r < group.world_size(); ++r)
    if (all[r] != all[0])
      throw Error("rank " + std::to_string(r) + "'s " + what + " differ from rank 0's: the replicas diverged");
}

}  // namespace ifq::trainer
