// The launcher environment of data-parallel training and the per-rank
// shares of a global batch (ifq/train/dist_env.hpp).
#include <gtest/gtest.h>

#include <map>

#include "error_text.hpp"
#include "ifq/error.hpp"
#include "ifq/train/dist_env.hpp"

namespace ifq::trainer {
namespace {

EnvLookup env(std::map<std::string, std::string> vars) {
  return [vars](const char* name) -> std::optional<std::string> {
    auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

using testing::error_of;

TEST(DistEnv, ReadsTheTorchrunVariables) {
  const DistOptions d = dist_options_from_env(
      "gloo", 30, true,
      env({{"RANK", "3"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "1"}, {"MASTER_ADDR", "10.0.0.1"}, {"MASTER_PORT", "29500"}}));
  EXPECT_EQ(d.backend, "gloo");
  EXPECT_EQ(d.rank, 3);
  EXPECT_EQ(d.world_size, 4);
  EXPECT_EQ(d.local_rank, 1);
  EXPECT_EQ(d.master_addr, "10.0.0.1");
  EXPECT_EQ(d.master_port, 29500);
  EXPECT_DOUBLE_EQ(d.timeout_s, 30);
  EXPECT_TRUE(d.active());
  EXPECT_FALSE(d.primary());
  // LOCAL_RANK defaults to RANK (one process per machine, e.g. plain shells).
  EXPECT_EQ(dist_options_from_env("nccl", 30, true,
                                  env({{"RANK", "2"}, {"WORLD_SIZE", "4"}, {"MASTER_ADDR", "h"}, {"MASTER_PORT", "1"}}))
                .local_rank,
            2);
  EXPECT_FALSE(DistOptions{}.active());
  EXPECT_TRUE(DistOptions{}.primary());
}

TEST(DistEnv, NamesTheMissingOrWrongVariable) {
  const std::map<std::string, std::string> good{
      {"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "127.0.0.1"}, {"MASTER_PORT", "29500"}};
  for (const char* name : {"RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"}) {
    auto vars = good;
    vars.erase(name);
    EXPECT_NE(error_of([&] { dist_options_from_env("gloo", 30, true, env(vars)); })
                  .find(std::string("needs the launcher variable ") + name),
              std::string::npos)
        << name;
  }
  const std::vector<std::pair<std::string, std::string>> wrong{
      {"RANK", "2"}, {"RANK", "-1"}, {"RANK", "1x"}, {"WORLD_SIZE", "0"}, {"MASTER_PORT", "70000"}, {"LOCAL_RANK", "5"}};
  for (const auto& [name, value] : wrong) {
    auto vars = good;
    vars[name] = value;
    EXPECT_NE(error_of([&] { dist_options_from_env("gloo", 30, true, env(vars)); })
                  .find("environment variable " + name + "='" + value + "' is not an integer in"),
              std::string::npos)
        << name << "=" << value;
  }
  EXPECT_NE(error_of([&] { dist_options_from_env("mpi", 30, true, env(good)); }).find("'mpi' is not known"),
            std::string::npos);
}

TEST(DistEnv, ShardsCoverTheGlobalBatchOnce) {
  for (int world : {1, 2, 4, 8}) {
    int next = 0;
    for (int r = 0; r < world; ++r) {
      const BatchShard s = batch_shard(64, r, world);
      EXPECT_EQ(s.first, next);
      EXPECT_EQ(s.count, 64 / world);
      next += s.count;
    }
    EXPECT_EQ(next, 64);
  }
  EXPECT_NE(error_of([] { batch_shard(33, 0, 2); }).find("the batch of 33 does not divide among 2 processes"),
            std::string::npos);
  EXPECT_NE(error_of([] { batch_shard(32, 2, 2); }), "");
}

}  // namespace
}  // namespace ifq::trainer
