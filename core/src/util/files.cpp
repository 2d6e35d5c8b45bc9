#include "ftcore/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "errors.hpp"

namespace ftcore::files {

namespace fs = std::filesystem;

namespace {

const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "not a regular file";
}

[[noreturn]] void refuse(const fs::path& path, const std::string& what, const std::string& why) {
  throw UsageError(path.string() + ": cannot read the " + what + ": " + why);
}

}  // namespace

int open_regular(const fs::path& path, const std::string& what) {
  // O_NONBLOCK: opening a FIFO without a writer would otherwise wait forever. It changes nothing
  // for a regular file, the only kind kept.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) throw UsageError(path.string() + ": cannot open the " + what + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int error = errno;
    ::close(fd);
    refuse(path, what, std::strerror(error));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    refuse(path, what, std::string("not a regular file but ") + kind_of(st.st_mode) + "; ftcore reads only regular files");
  }
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  return fd;
}

std::string read_regular(const fs::path& path, const std::string& what, std::uint64_t max_bytes) {
  const int fd = open_regular(path, what);
  std::string content;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size > 0) {
    if (static_cast<std::uint64_t>(st.st_size) > max_bytes) {
      ::close(fd);
      refuse(path, what, std::to_string(st.st_size) + " bytes, more than the " + std::to_string(max_bytes) + " allowed");
    }
    content.reserve(static_cast<std::size_t>(st.st_size));
  }
  char buffer[1 << 16];
  for (;;) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      const int error = errno;
      ::close(fd);
      refuse(path, what, std::strerror(error));
    }
    if (got == 0) break;
    content.append(buffer, static_cast<std::size_t>(got));
    if (content.size() > max_bytes) {
      ::close(fd);
      refuse(path, what, "longer than the " + std::to_string(max_bytes) + " bytes allowed");
    }
  }
  ::close(fd);
  return content;
}

bool is_regular(const fs::path& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace ftcore::files
