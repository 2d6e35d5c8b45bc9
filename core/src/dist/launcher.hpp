#pragma once
// `ftcore run --nproc N` and `ftcore bench --nproc N`: N copies of this command on this machine, each
// with the environment torchrun gives its workers (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE,
// MASTER_ADDR=127.0.0.1, MASTER_PORT a free port), for users without torchrun.
#include <chrono>
#include <string>
#include <vector>

namespace ftcore::dist {

struct LaunchOptions {
  int nproc = 2;
  std::vector<std::string> command;  ///< the words after the program: "run", "--model", ... (without --nproc)
  std::chrono::seconds grace{20};    ///< after a worker fails, how long the others get to end themselves
};

/// Starts the workers and waits for all of them (one worker alone gets no launcher variables: it is a
/// plain process). SIGINT and SIGTERM sent to this process go on to the
/// workers (which save and stop together). When a worker fails, the others get `grace` to notice and
/// end, then SIGTERM, then SIGKILL 10 s later. Prints a line per failed rank and returns 0 when all
/// succeeded, else the first failure's code (2 when a worker found bad input, else 1).
int launch_local(const LaunchOptions& options);

/// A TCP port on 127.0.0.1 that was free a moment ago.
int free_port();

}  // namespace ftcore::dist
