#pragma once
// Where this process stands in a distributed run, from the environment torchrun and SLURM set:
// RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT (torchrun, `ftcore run
// --nproc`, hand-written launchers), else SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID (srun).
#include <cstdint>
#include <functional>
#include <string>

namespace ftcore::dist {

struct World {
  int rank = 0, size = 1;
  int local_rank = 0, local_size = 1;  ///< among the processes of this machine
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  std::string launcher = "single process";  ///< where the numbers came from, for messages
  /// torchrun's agent already serves the rendezvous store at MASTER_ADDR:MASTER_PORT
  /// (TORCHELASTIC_USE_AGENT_STORE=True): every rank is its client, under the prefix
  /// "/worker/attempt_N" (TORCHELASTIC_RESTART_COUNT), as torch.distributed does.
  bool agent_store = false;
  std::string attempt = "0";
  /// FTCORE_RENDEZVOUS_TOKEN: what each rank shows rank 0's store (the --nproc launcher makes one).
  std::string token;

  bool distributed() const { return size > 1; }
  /// Started by a launcher (its variables are set), even as a single rank.
  bool launched() const { return launcher != "single process"; }
  bool writes() const { return rank == 0; }  ///< rank 0 alone logs and writes files
};

/// Reads the environment through `env` (a getenv). A single process when neither set of variables is
/// there. UsageError naming the variable for a value that is not a number or out of range (RANK >=
/// WORLD_SIZE, ...), or for a multi-node SLURM job without MASTER_ADDR.
World read_world(const std::function<const char*(const char*)>& env);
World read_world();

/// "rank 1 of 2 (local rank 1; RANK/WORLD_SIZE, rendezvous 127.0.0.1:29500)".
std::string describe(const World& world);

/// Micro-batches each rank accumulates per optimizer step so that a step takes `effective` samples in
/// micro-batches of `micro` on `ranks` ranks: effective / (micro x ranks). UsageError when that does
/// not divide, saying which effective sizes or micro-batch sizes would.
std::int64_t accumulation_for(std::int64_t effective, std::int64_t micro, int ranks);

}  // namespace ftcore::dist
