#include "monitor/tensorboard_server.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "errors.hpp"
#include "util/text.hpp"

extern char** environ;

namespace ftcore::monitor {

namespace fs = std::filesystem;

namespace {

pid_t spawn(const fs::path& program, const std::vector<std::string>& args, const posix_spawn_file_actions_t* actions) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int error = posix_spawn(&pid, program.c_str(), actions, nullptr, argv.data(), environ);
  if (error != 0) throw RunError("could not start TensorBoard (" + program.string() + "): " + std::strerror(error));
  return pid;
}

int exit_code(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

}  // namespace

std::vector<std::string> tensorboard_arguments(const fs::path& program, const fs::path& logdir, const Listen& listen) {
  // --host, not --bind_all: TensorBoard serves the logs to whoever reaches it, with no login.
  return {program.string(), "--logdir", logdir.string(), "--host", listen.host, "--port", std::to_string(listen.port)};
}

std::optional<fs::path> find_tensorboard() {
  if (const char* explicit_path = std::getenv("FTCORE_TENSORBOARD"); explicit_path && *explicit_path) {
    if (access(explicit_path, X_OK) == 0) return fs::path(explicit_path);
    return std::nullopt;
  }
  const char* path = std::getenv("PATH");
  for (const auto& dir : text::split(path ? path : "", ':')) {
    if (dir.empty()) continue;
    fs::path candidate = fs::path(dir) / "tensorboard";
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

std::string tensorboard_install_hint() {
  return "TensorBoard is not installed (no `tensorboard` on PATH, or FTCORE_TENSORBOARD names no program): "
         "install it with `pip install tensorboard` (tests/parity pins tensorboard==2.21.0)";
}

TensorBoardProcess::TensorBoardProcess(const fs::path& program, const fs::path& logdir, const Listen& listen,
                                       const fs::path& log_file) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  try {
    pid_ = spawn(program, tensorboard_arguments(program, logdir, listen), &actions);
  } catch (...) {
    posix_spawn_file_actions_destroy(&actions);
    throw;
  }
  posix_spawn_file_actions_destroy(&actions);
}

TensorBoardProcess::~TensorBoardProcess() {
  if (pid_ <= 0 || status_) return;
  kill(pid_, SIGTERM);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

std::optional<int> TensorBoardProcess::exited() {
  if (!status_ && pid_ > 0) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) status_ = exit_code(status);
  }
  return status_;
}

void serve_tensorboard(const fs::path& program, const fs::path& logdir, const Listen& listen) {
  const auto args = tensorboard_arguments(program, logdir, listen);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::fflush(nullptr);
  execv(program.c_str(), argv.data());
  throw RunError("could not start TensorBoard (" + program.string() + "): " + std::strerror(errno));
}

}  // namespace ftcore::monitor
