#pragma once
// Starting the TensorBoard program on ftcore's logs: in the background while training
// (--tensorboard) or in the foreground (--tensorboard-only). ftcore writes the event files itself;
// this only launches the viewer when it is installed.
#include <filesystem>
#include <optional>
#include <string>
#include <sys/types.h>

namespace ftcore::monitor {

/// $FTCORE_TENSORBOARD when set, else `tensorboard` on PATH; nullopt when there is none.
std::optional<std::filesystem::path> find_tensorboard();

/// What to tell a user who has no TensorBoard.
std::string tensorboard_install_hint();

/// A TensorBoard child process serving `logdir` on `port`, its output in `log_file`; stopped
/// (SIGTERM, then waited for) when destroyed.
class TensorBoardProcess {
 public:
  TensorBoardProcess(const std::filesystem::path& program, const std::filesystem::path& logdir, int port,
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
[[noreturn]] void serve_tensorboard(const std::filesystem::path& program, const std::filesystem::path& logdir, int port);

}  // namespace ftcore::monitor
