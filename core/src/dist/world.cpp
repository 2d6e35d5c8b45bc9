#include "dist/world.hpp"

#include <cstdlib>
#include <optional>

#include "errors.hpp"
#include "util/text.hpp"

namespace ftcore::dist {

namespace {

/// An environment variable as an integer in [low, high]; nullopt when unset.
std::optional<int> integer_var(const std::function<const char*(const char*)>& env, const char* name, int low, int high) {
  const char* raw = env(name);
  if (!raw) return std::nullopt;
  const std::string text = raw;
  std::size_t used = 0;
  long long value = 0;
  try {
    value = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (text.empty() || used != text.size())
    throw UsageError(std::string("environment variable ") + name + "='" + text + "': not a whole number");
  if (value < low || value > high)
    throw UsageError(std::string("environment variable ") + name + "=" + text + ": must be " + std::to_string(low) + "-" +
                     std::to_string(high));
  return static_cast<int>(value);
}

void check_below(int value, const char* name, int limit, const char* limit_name) {
  if (value >= limit)
    throw UsageError(std::string(name) + "=" + std::to_string(value) + " is not below " + limit_name + "=" +
                     std::to_string(limit) + ": ranks count from 0");
}

}  // namespace

World read_world(const std::function<const char*(const char*)>& env) {
  constexpr int kMaxRanks = 1 << 20;
  World w;
  const auto master_port = integer_var(env, "MASTER_PORT", 1, 65535);
  if (const char* addr = env("MASTER_ADDR"); addr && *addr) w.master_addr = addr;
  if (master_port) w.master_port = *master_port;
  if (const char* token = env("FTCORE_RENDEZVOUS_TOKEN")) w.token = token;

  if (auto size = integer_var(env, "WORLD_SIZE", 1, kMaxRanks)) {
    const auto rank = integer_var(env, "RANK", 0, kMaxRanks);
    if (!rank) throw UsageError("WORLD_SIZE is set but RANK is not: a distributed launcher sets both (torchrun does)");
    w.size = *size;
    w.rank = *rank;
    w.local_rank = integer_var(env, "LOCAL_RANK", 0, kMaxRanks).value_or(w.rank);
    w.local_size = integer_var(env, "LOCAL_WORLD_SIZE", 1, kMaxRanks).value_or(w.size);
    w.launcher = "RANK/WORLD_SIZE";
    if (const char* agent = env("TORCHELASTIC_USE_AGENT_STORE"); agent && std::string(agent) == "True") {
      w.agent_store = true;
      w.launcher = "torchrun";
      w.attempt = std::to_string(integer_var(env, "TORCHELASTIC_RESTART_COUNT", 0, kMaxRanks).value_or(0));
    }
  } else if (auto tasks = integer_var(env, "SLURM_NTASKS", 1, kMaxRanks)) {
    const auto rank = integer_var(env, "SLURM_PROCID", 0, kMaxRanks);
    if (!rank) throw UsageError("SLURM_NTASKS is set but SLURM_PROCID is not: start ftcore with srun");
    w.size = *tasks;
    w.rank = *rank;
    w.local_rank = integer_var(env, "SLURM_LOCALID", 0, kMaxRanks).value_or(0);
    w.local_size = integer_var(env, "SLURM_NTASKS_PER_NODE", 1, kMaxRanks).value_or(w.size);
    const int nodes = integer_var(env, "SLURM_NNODES", 1, kMaxRanks).value_or(1);
    if (nodes > 1 && !env("MASTER_ADDR"))
      throw UsageError("a SLURM job on " + std::to_string(nodes) + " nodes needs MASTER_ADDR (the first node's address, "
                       "e.g. export MASTER_ADDR=$(scontrol show hostnames \"$SLURM_JOB_NODELIST\" | head -n 1)) so that "
                       "the ranks can meet (docs/distributed.md)");
    w.launcher = "SLURM";
  } else if (env("RANK")) {
    throw UsageError("RANK is set but WORLD_SIZE is not: a distributed launcher sets both (torchrun does)");
  }
  check_below(w.rank, w.launcher == "SLURM" ? "SLURM_PROCID" : "RANK", w.size, w.launcher == "SLURM" ? "SLURM_NTASKS" : "WORLD_SIZE");
  check_below(w.local_rank, w.launcher == "SLURM" ? "SLURM_LOCALID" : "LOCAL_RANK", w.local_size,
              w.launcher == "SLURM" ? "SLURM_NTASKS_PER_NODE" : "LOCAL_WORLD_SIZE");
  return w;
}

World read_world() {
  return read_world([](const char* name) { return std::getenv(name); });
}

std::string describe(const World& w) {
  if (!w.launched()) return "single process";
  return "rank " + std::to_string(w.rank) + " of " + std::to_string(w.size) + " (local rank " + std::to_string(w.local_rank) +
         "; " + w.launcher + ", rendezvous " + w.master_addr + ":" + std::to_string(w.master_port) + ")";
}

std::int64_t accumulation_for(std::int64_t effective, std::int64_t micro, int ranks) {
  const std::string setup = "--batch-size " + std::to_string(micro) + " on " + std::to_string(ranks) + " rank" + (ranks == 1 ? "" : "s");
  if (effective < 1) throw UsageError("--effective-batch-size must be at least 1");
  const std::int64_t per_step = micro * ranks;
  if (effective % per_step == 0) return effective / per_step;
  std::string hint = "use a multiple of " + std::to_string(per_step) + " (" + std::to_string(per_step) + ", " +
                     std::to_string(2 * per_step) + ", ...)";
  if (effective % ranks == 0) {
    std::vector<std::string> divisors;
    for (std::int64_t d = 1; d <= effective / ranks; ++d)
      if ((effective / ranks) % d == 0) divisors.push_back(std::to_string(d));
    hint += ", or a --batch-size that divides " + std::to_string(effective / ranks) + " (" + text::join(divisors, ", ") + ")";
  } else {
    hint += ", or a number of ranks that divides " + std::to_string(effective);
  }
  throw UsageError("--effective-batch-size " + std::to_string(effective) + ": with " + setup +
                   " a step takes a multiple of " + std::to_string(per_step) + " samples; " + hint);
}

}  // namespace ftcore::dist
