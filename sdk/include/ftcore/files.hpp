#pragma once
// Reading files a user may have downloaded (config.json, tokenizer.json, weights, data, YAML):
// only regular files are opened for reading, so a FIFO, socket, device or directory in their place
// is refused with its path instead of blocking the process or reading forever.
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>

#include "ftcore/export.hpp"

namespace ftcore::files {

inline constexpr std::uint64_t kNoLimit = std::numeric_limits<std::uint64_t>::max();

/// Opens `path` for reading when it is a regular file (symbolic links followed) and returns the
/// descriptor, which the caller closes. It is opened without blocking and checked with fstat before
/// anything is read. Throws UsageError "<path>: ..." when it is missing, unreadable or not a
/// regular file; `what` names it in the message ("data file", "config.json", ...).
FTCORE_API int open_regular(const std::filesystem::path& path, const std::string& what);

/// The whole content of a regular file (see open_regular); UsageError when it is longer than
/// `max_bytes`.
FTCORE_API std::string read_regular(const std::filesystem::path& path, const std::string& what,
                                    std::uint64_t max_bytes = kNoLimit);

/// Whether `path` names a regular file (symbolic links followed); false for a FIFO, socket, device,
/// directory or nothing. Does not open it.
FTCORE_API bool is_regular(const std::filesystem::path& path);

}  // namespace ftcore::files
