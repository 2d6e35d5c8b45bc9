// The distributed environment (torchrun's and SLURM's variables) and how a global batch splits.
#include <map>

#include <gtest/gtest.h>

#include "dist/world.hpp"
#include "errors.hpp"
#include "test_support.hpp"

using namespace ftcore;
using ftcore::testing::error_of;

namespace {

dist::World world_of(const std::map<std::string, std::string>& vars) {
  return dist::read_world([&](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  });
}

std::string error_for(const std::map<std::string, std::string>& vars) {
  return error_of([&] { world_of(vars); });
}

}  // namespace

TEST(World, NoVariablesIsOneProcess) {
  const auto w = world_of({});
  EXPECT_FALSE(w.distributed());
  EXPECT_EQ(w.rank, 0);
  EXPECT_EQ(w.size, 1);
  EXPECT_TRUE(w.writes());
  EXPECT_EQ(dist::describe(w), "single process");
}

TEST(World, TorchrunVariables) {
  const auto w = world_of({{"RANK", "3"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "1"}, {"LOCAL_WORLD_SIZE", "2"},
                           {"MASTER_ADDR", "10.0.0.7"}, {"MASTER_PORT", "29400"}});
  EXPECT_TRUE(w.distributed());
  EXPECT_EQ(w.rank, 3);
  EXPECT_EQ(w.size, 4);
  EXPECT_EQ(w.local_rank, 1);
  EXPECT_EQ(w.local_size, 2);
  EXPECT_EQ(w.master_addr, "10.0.0.7");
  EXPECT_EQ(w.master_port, 29400);
  EXPECT_FALSE(w.writes());
  EXPECT_EQ(dist::describe(w), "rank 3 of 4 (local rank 1; RANK/WORLD_SIZE, rendezvous 10.0.0.7:29400)");
}

TEST(World, TorchrunsAgentStore) {
  const auto w = world_of({{"RANK", "1"}, {"WORLD_SIZE", "2"}, {"TORCHELASTIC_USE_AGENT_STORE", "True"},
                           {"TORCHELASTIC_RESTART_COUNT", "2"}});
  EXPECT_TRUE(w.agent_store);
  EXPECT_EQ(w.attempt, "2");
  EXPECT_EQ(w.launcher, "torchrun");
  EXPECT_FALSE(world_of({{"RANK", "1"}, {"WORLD_SIZE", "2"}, {"TORCHELASTIC_USE_AGENT_STORE", "False"}}).agent_store);
}

TEST(World, DefaultsWithoutLocalVariables) {
  const auto w = world_of({{"RANK", "1"}, {"WORLD_SIZE", "2"}});
  EXPECT_EQ(w.local_rank, 1);
  EXPECT_EQ(w.local_size, 2);
  EXPECT_EQ(w.master_addr, "127.0.0.1");
  EXPECT_EQ(w.master_port, 29500);
}

TEST(World, SlurmVariables) {
  const auto w = world_of({{"SLURM_PROCID", "5"}, {"SLURM_NTASKS", "8"}, {"SLURM_LOCALID", "1"},
                           {"SLURM_NTASKS_PER_NODE", "4"}, {"SLURM_NNODES", "2"}, {"MASTER_ADDR", "node01"}});
  EXPECT_EQ(w.rank, 5);
  EXPECT_EQ(w.size, 8);
  EXPECT_EQ(w.local_rank, 1);
  EXPECT_EQ(w.local_size, 4);
  EXPECT_EQ(w.launcher, "SLURM");
  EXPECT_EQ(w.master_addr, "node01");
}

TEST(World, TorchrunVariablesWinOverSlurm) {  // torchrun inside an allocation
  const auto w = world_of({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "1"}});
  EXPECT_EQ(w.size, 2);
  EXPECT_EQ(w.launcher, "RANK/WORLD_SIZE");
}

TEST(World, BadVariablesSayWhich) {
  EXPECT_EQ(error_for({{"RANK", "1"}}), "RANK is set but WORLD_SIZE is not: a distributed launcher sets both (torchrun does)");
  EXPECT_EQ(error_for({{"WORLD_SIZE", "2"}}),
            "WORLD_SIZE is set but RANK is not: a distributed launcher sets both (torchrun does)");
  EXPECT_EQ(error_for({{"RANK", "2"}, {"WORLD_SIZE", "2"}}), "RANK=2 is not below WORLD_SIZE=2: ranks count from 0");
  EXPECT_EQ(error_for({{"RANK", "one"}, {"WORLD_SIZE", "2"}}), "environment variable RANK='one': not a whole number");
  EXPECT_EQ(error_for({{"RANK", "0"}, {"WORLD_SIZE", "0"}}), "environment variable WORLD_SIZE=0: must be 1-1048576");
  EXPECT_EQ(error_for({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_PORT", "70000"}}),
            "environment variable MASTER_PORT=70000: must be 1-65535");
  EXPECT_EQ(error_for({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"LOCAL_RANK", "2"}, {"LOCAL_WORLD_SIZE", "2"}}),
            "LOCAL_RANK=2 is not below LOCAL_WORLD_SIZE=2: ranks count from 0");
  EXPECT_EQ(error_for({{"SLURM_NTASKS", "2"}}), "SLURM_NTASKS is set but SLURM_PROCID is not: start ftcore with srun");
  EXPECT_NE(error_for({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "4"}, {"SLURM_NNODES", "2"}}).find(
                "a SLURM job on 2 nodes needs MASTER_ADDR"),
            std::string::npos);
}

TEST(EffectiveBatch, SplitsOverMicroBatchesAndRanks) {
  EXPECT_EQ(dist::accumulation_for(16, 2, 2), 4);
  EXPECT_EQ(dist::accumulation_for(8, 4, 2), 1);
  EXPECT_EQ(dist::accumulation_for(3, 3, 1), 1);
}

TEST(EffectiveBatch, SaysWhichNumbersDivide) {
  EXPECT_EQ(error_of([] { dist::accumulation_for(6, 4, 2); }),
            "--effective-batch-size 6: with --batch-size 4 on 2 ranks a step takes a multiple of 8 samples; use a multiple "
            "of 8 (8, 16, ...), or a --batch-size that divides 3 (1, 3)");
  EXPECT_EQ(error_of([] { dist::accumulation_for(9, 1, 2); }),
            "--effective-batch-size 9: with --batch-size 1 on 2 ranks a step takes a multiple of 2 samples; use a multiple "
            "of 2 (2, 4, ...), or a number of ranks that divides 9");
  EXPECT_EQ(error_of([] { dist::accumulation_for(0, 1, 1); }), "--effective-batch-size must be at least 1");
}
