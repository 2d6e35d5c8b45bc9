#pragma once
// The two kinds of failure ftcore maps to exit codes: bad usage or input (2) and a failure while
// running (1). Messages say what was wrong, where (file:line, key, tensor name), and what to do.
// Plugins may throw them too; the command line turns them into the exit code.
#include <stdexcept>
#include <string>

#include "ftcore/export.hpp"

namespace ftcore {

/// Bad command line, config or input data: exit code 2.
class FTCORE_EXPORT_SYMBOL UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Something failed while running: exit code 1.
class FTCORE_EXPORT_SYMBOL RunError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

}  // namespace ftcore
