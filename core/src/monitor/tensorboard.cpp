#include "monitor/tensorboard.hpp"

#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <string_view>

#include <spdlog/spdlog.h>

#include "errors.hpp"

namespace ftcore::monitor {
namespace fs = std::filesystem;

namespace {

// Field numbers of tensorboard/compat/proto/event.proto and summary.proto.
constexpr int kEventWallTime = 1;     // double
constexpr int kEventStep = 2;         // int64
constexpr int kEventFileVersion = 3;  // string
constexpr int kEventSummary = 5;      // Summary
constexpr int kSummaryValue = 1;      // repeated Summary.Value
constexpr int kValueTag = 1;          // string
constexpr int kValueSimpleValue = 2;  // float, inside a oneof

enum WireType : std::uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

template <typename Int>
void append_little_endian(std::string& out, Int value) {
  for (std::size_t i = 0; i < sizeof(Int); ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

/// Appends protobuf fields. Callers leave out proto3 defaults; this class writes what it is given.
class ProtoWriter {
 public:
  void varint(int field, std::uint64_t value) {
    key(field, kVarint);
    raw_varint(value);
  }
  void fixed64(int field, double value) {
    key(field, kFixed64);
    append_little_endian(out_, bits<std::uint64_t>(value));
  }
  void fixed32(int field, float value) {
    key(field, kFixed32);
    append_little_endian(out_, bits<std::uint32_t>(value));
  }
  void bytes(int field, std::string_view value) {
    key(field, kLengthDelimited);
    raw_varint(value.size());
    out_.append(value);
  }
  const std::string& str() const { return out_; }

 private:
  template <typename Bits, typename Float>
  static Bits bits(Float value) {
    Bits result;
    std::memcpy(&result, &value, sizeof result);
    return result;
  }
  void key(int field, WireType type) { raw_varint((static_cast<std::uint64_t>(field) << 3) | type); }
  void raw_varint(std::uint64_t value) {
    while (value >= 0x80) {
      out_.push_back(static_cast<char>((value & 0x7F) | 0x80));
      value >>= 7;
    }
    out_.push_back(static_cast<char>(value));
  }

  std::string out_;
};

/// An Event with the fields every record shares; proto3 omits a zero wall_time (+0.0 only) and step.
ProtoWriter event_header(double wall_time, std::int64_t step) {
  ProtoWriter event;
  std::uint64_t wall_bits;
  std::memcpy(&wall_bits, &wall_time, sizeof wall_bits);
  if (wall_bits != 0) event.fixed64(kEventWallTime, wall_time);
  if (step != 0) event.varint(kEventStep, static_cast<std::uint64_t>(step));
  return event;
}

std::string scalar_event(const std::string& tag, std::int64_t step, double value, double wall_time) {
  ProtoWriter summary_value;
  if (!tag.empty()) summary_value.bytes(kValueTag, tag);
  // simple_value sits in a oneof, so it is written even when it is 0.
  summary_value.fixed32(kValueSimpleValue, static_cast<float>(value));
  ProtoWriter summary;
  summary.bytes(kSummaryValue, summary_value.str());
  ProtoWriter event = event_header(wall_time, step);
  event.bytes(kEventSummary, summary.str());
  return event.str();
}

double seconds_since_epoch() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

std::string host_name() {
  std::array<char, 256> name{};
  if (::gethostname(name.data(), name.size() - 1) != 0) return "localhost";
  return name.data();
}

/// events.out.tfevents.<10-digit unix time>.<hostname>.<pid>.<n>, n counting writers in this process.
std::string event_file_name(double wall_time) {
  static std::atomic<unsigned> writers{0};
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%010lld", static_cast<long long>(wall_time));
  return std::string("events.out.tfevents.") + seconds + "." + host_name() + "." +
         std::to_string(::getpid()) + "." + std::to_string(writers++);
}

std::array<std::uint32_t, 256> make_crc32c_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
    table[i] = crc;
  }
  return table;
}

}  // namespace

std::uint32_t crc32c(const void* data, std::size_t size) {
  static const std::array<std::uint32_t, 256> table = make_crc32c_table();
  const auto* bytes = static_cast<const unsigned char*>(data);
  std::uint32_t crc = 0xFFFFFFFFu;
  for (std::size_t i = 0; i < size; ++i) crc = table[(crc ^ bytes[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

std::uint32_t masked_crc32c(const void* data, std::size_t size) {
  std::uint32_t crc = crc32c(data, size);
  return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u;
}

EventWriter::EventWriter(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw RunError("cannot create TensorBoard log directory " + dir.string() + ": " + ec.message());
  double now = seconds_since_epoch();
  file_ = dir / event_file_name(now);
  stream_ = std::fopen(file_.c_str(), "wb");
  if (!stream_) fail("cannot create TensorBoard event file");
  ProtoWriter first = event_header(now, 0);
  first.bytes(kEventFileVersion, "brain.Event:2");
  try {
    write_record(first.str());
    flush();
  } catch (...) {
    std::fclose(stream_);
    throw;
  }
}

EventWriter::~EventWriter() {
  if (!stream_) return;
  bool ok = std::fflush(stream_) == 0;
  ok = std::fclose(stream_) == 0 && ok;
  if (!ok) spdlog::warn("TensorBoard event file {} may be incomplete: {}", file_.string(), std::strerror(errno));
}

void EventWriter::add_scalar(const std::string& tag, std::int64_t step, double value,
                             std::optional<double> wall_time) {
  write_record(scalar_event(tag, step, value, wall_time.value_or(seconds_since_epoch())));
}

void EventWriter::flush() {
  if (std::fflush(stream_) != 0) fail("cannot write TensorBoard event file");
}

// A TFRecord: u64 length, u32 masked CRC of the length bytes, data, u32 masked CRC of data.
void EventWriter::write_record(const std::string& data) {
  std::string record;
  record.reserve(data.size() + 16);
  append_little_endian(record, static_cast<std::uint64_t>(data.size()));
  append_little_endian(record, masked_crc32c(record.data(), 8));
  record += data;
  append_little_endian(record, masked_crc32c(data.data(), data.size()));
  if (std::fwrite(record.data(), 1, record.size(), stream_) != record.size())
    fail("cannot write TensorBoard event file");
}

void EventWriter::fail(const std::string& what) const {
  throw RunError(what + " " + file_.string() + ": " + std::strerror(errno));
}

}  // namespace ftcore::monitor
