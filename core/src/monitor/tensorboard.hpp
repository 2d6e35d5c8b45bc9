#pragma once
// A native TensorBoard event-file writer: scalars only, byte-compatible with TensorBoard's own
// writer (record framing, masked CRC32C, proto3 encoding of Event/Summary).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>

namespace ftcore::monitor {

/// Writes one events.out.tfevents.<10-digit unix time>.<hostname>.<pid>.<n> file in a directory.
/// Not thread-safe: one writer per thread, or a lock around it.
class EventWriter {
 public:
  /// Creates `dir` if needed and writes the first record: Event{wall_time, file_version="brain.Event:2"}.
  /// Throws RunError naming the path when the directory or the file cannot be created.
  explicit EventWriter(const std::filesystem::path& dir);
  ~EventWriter();
  EventWriter(const EventWriter&) = delete;
  EventWriter& operator=(const EventWriter&) = delete;

  /// One Event{wall_time, step, summary{value{tag, simple_value}}}; the value is stored as a float.
  /// wall_time defaults to now (seconds since the epoch). Throws RunError naming the file on a write error.
  void add_scalar(const std::string& tag, std::int64_t step, double value,
                  std::optional<double> wall_time = std::nullopt);

  /// Hands buffered records to the OS (no fsync), so a running TensorBoard sees them. Also done on
  /// destruction. Throws RunError naming the file on a write error (e.g. disk full).
  void flush();

  const std::filesystem::path& file() const { return file_; }

 private:
  void write_record(const std::string& data);
  [[noreturn]] void fail(const std::string& what) const;

  std::filesystem::path file_;
  std::FILE* stream_ = nullptr;
};

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as TFRecord uses it.
std::uint32_t crc32c(const void* data, std::size_t size);

/// The masked form TFRecord stores: ((crc >> 15) | (crc << 17)) + 0xA282EAD8.
std::uint32_t masked_crc32c(const void* data, std::size_t size);

}  // namespace ftcore::monitor
