#pragma once
// Starting the TensorBoard program on ftcore's logs: in the background while training
// (--tensorboard) or in the foreground (--tensorboard-only). ftcore writes the event files itself;
// this only launches the viewer when it is installed.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>
#include <sys/types.h>

namespace ftcore::monitor {

/// $FTCORE_TENSORBOARD when set, else `tensorboard` on PATH; nullopt when there is none.
std::optional<std::filesystem::path> find_tensorboard();

/// What to tell a user who has no TensorBoard.
std::string tensorboard_install_hint();

/// Where TensorBoard listens: `host` (an address; 127.0.0.1 unless the user asks for another) and `port`.
struct Listen {
  std::string host = "127.0.0.1";
  int port = 6006;
  std::string url() const { return "http://" + host + ":" + std::to_string(port) + "/"; }
};

/// TensorBoard's command line: the program, --logdir, --host and --port.
std::vector<std::string> tensorboard_arguments(const std::filesystem::path& program, const std::filesystem::path& logdir,
                                               const Listen& listen);

/// A TensorBoard child process serving `logdir`, its output in `log_file`; stopped (SIGTERM, then
/// waited for) when destroyed.
class TensorBoardProcess {
 public:
  TensorBoardProcess(const std::filesystem::path& program, const std::filesystem::path& logdir, const Listen& listen,
                     const std::filesystem::path& log_file);
  ~TensorBoardProcess();
  TensorBoardProcess(const TensorBoardProcess&) = delete;
  TensorBoardProcess& operator=(const TensorBoardProcess&) = delete;

  pid_t pid() const { return pid_; }
  /// The exit status when it has ended on its own (e.g. the port was taken); nullopt while it runs.
  std::optional<int> exited();

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

/// Replaces this process with TensorBoard serving `logdir` (Ctrl-C reaches it directly); returns
/// only by throwing RunError when it cannot be started.
[[noreturn]] void serve_tensorboard(const std::filesystem::path& program, const std::filesystem::path& logdir,
                                   const Listen& listen);

}  // namespace ftcore::monitor
