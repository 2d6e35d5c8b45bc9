#include "dist/launcher.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <optional>
#include <random>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>
#include <utility>

#include <spdlog/spdlog.h>

#include "errors.hpp"

namespace ftcore::dist {

namespace {

std::atomic<int> forwarded_signal{0};

extern "C" void remember_signal(int number) { forwarded_signal = number; }

struct Worker {
  int rank = 0;
  pid_t pid = -1;
  bool running = true;
};

/// "exited with status 1" / "was killed by signal 9 (Killed)".
std::string ending(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return "was killed by signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
  return "ended with wait status " + std::to_string(status);
}

bool failed(int status) { return !WIFEXITED(status) || WEXITSTATUS(status) != 0; }

/// 32 random hex digits: what the workers show rank 0's rendezvous store, so that no other process
/// on this machine can join it.
std::string random_token() {
  std::random_device device;
  std::string token;
  static const char* const kHex = "0123456789abcdef";
  for (int i = 0; i < 32; ++i) token += kHex[device() & 15];
  return token;
}

pid_t start_worker(const std::vector<std::string>& argv, const std::vector<std::pair<std::string, std::string>>& env) {
  std::vector<char*> args;
  for (const auto& word : argv) args.push_back(const_cast<char*>(word.c_str()));
  args.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) throw RunError(std::string("cannot start a worker process: ") + std::strerror(errno));
  if (pid == 0) {
    // Its own process group: a Ctrl-C reaches the launcher alone, which passes it on once. It ends
    // with the launcher, should the launcher be killed.
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(1);
    for (const auto& [name, value] : env) setenv(name.c_str(), value.c_str(), 1);
    execv(args[0], args.data());
    std::fprintf(stderr, "cannot run %s: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  return pid;
}

void signal_all(std::vector<Worker>& workers, int number) {
  for (auto& w : workers)
    if (w.running) kill(w.pid, number);
}

}  // namespace

int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw RunError(std::string("cannot open a socket to find a free port: ") + std::strerror(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  close(fd);
  if (!ok) throw RunError(std::string("cannot find a free port on 127.0.0.1: ") + std::strerror(errno));
  return ntohs(address.sin_port);
}

int launch_local(const LaunchOptions& options) {
  const std::string program = std::filesystem::read_symlink("/proc/self/exe").string();
  std::vector<std::string> argv{program};
  argv.insert(argv.end(), options.command.begin(), options.command.end());
  const std::string port = options.nproc > 1 ? std::to_string(free_port()) : "";
  const std::string token = options.nproc > 1 ? random_token() : "";
  if (options.nproc > 1) spdlog::info("starting {} worker processes (rendezvous 127.0.0.1:{})", options.nproc, port);

  auto previous_int = std::signal(SIGINT, remember_signal);
  auto previous_term = std::signal(SIGTERM, remember_signal);
  std::vector<Worker> workers;
  for (int rank = 0; rank < options.nproc; ++rank) {
    std::vector<std::pair<std::string, std::string>> env;
    if (options.nproc > 1)  // one worker is a plain process
      env = {{"RANK", std::to_string(rank)},
                           {"WORLD_SIZE", std::to_string(options.nproc)},
                           {"LOCAL_RANK", std::to_string(rank)},
                           {"LOCAL_WORLD_SIZE", std::to_string(options.nproc)},
                           {"MASTER_ADDR", "127.0.0.1"},
                           {"MASTER_PORT", port},
                           {"FTCORE_RENDEZVOUS_TOKEN", token}};
    workers.push_back({rank, start_worker(argv, env)});
  }

  int result = 0;
  std::optional<std::chrono::steady_clock::time_point> first_failure;
  bool terminated = false, killed = false;
  for (std::size_t left = workers.size(); left > 0;) {
    if (const int received = forwarded_signal.exchange(0)) signal_all(workers, received);
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      for (auto& w : workers) {
        if (w.pid != pid) continue;
        w.running = false, --left;
        if (failed(status)) {
          spdlog::error("rank {} (pid {}) {}", w.rank, pid, ending(status));
          if (result == 0) result = WIFEXITED(status) && WEXITSTATUS(status) == kExitUsage ? kExitUsage : kExitFailure;
          if (!first_failure) first_failure = std::chrono::steady_clock::now();
        }
      }
      continue;
    }
    if (pid < 0 && errno != EINTR) break;
    if (first_failure) {
      const auto waited = std::chrono::steady_clock::now() - *first_failure;
      if (!terminated && waited > options.grace) {
        spdlog::warn("the other workers are still running {} s after a failure: stopping them", options.grace.count());
        signal_all(workers, SIGTERM);
        terminated = true;
      } else if (!killed && waited > options.grace + std::chrono::seconds(10)) {
        signal_all(workers, SIGKILL);
        killed = true;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::signal(SIGINT, previous_int);
  std::signal(SIGTERM, previous_term);
  return result;
}

}  // namespace ftcore::dist
