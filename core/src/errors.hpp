#pragma once
// The two kinds of failure the CLI maps to exit codes: bad usage/input (2) and failure while
// running (1). Messages say what was wrong, where, and what to do.
#include <stdexcept>
#include <string>

namespace ftcore {

/// Bad command line, config or input data: exit code 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Something failed while running: exit code 1.
class RunError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

}  // namespace ftcore
