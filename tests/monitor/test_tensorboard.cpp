// The TensorBoard event writer: CRC32C, the file name, and every record read back by a small
// TFRecord + protobuf reader that checks framing and checksums.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <regex>
#include <sstream>

#include "errors.hpp"
#include "monitor/tensorboard.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using ftcore::monitor::crc32c;
using ftcore::monitor::EventWriter;
using ftcore::monitor::masked_crc32c;

namespace {

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string hex(const std::string& bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) out += {digits[c >> 4], digits[c & 15]};
  return out;
}

template <typename Int>
Int little_endian(const std::string& bytes, std::size_t at) {
  Int value = 0;
  for (std::size_t i = 0; i < sizeof(Int); ++i) value |= static_cast<Int>(static_cast<unsigned char>(bytes[at + i])) << (8 * i);
  return value;
}

/// The records' payloads; fails the test on a bad length, checksum or trailing bytes.
std::vector<std::string> read_records(const fs::path& file) {
  std::string bytes = slurp(file);
  std::vector<std::string> records;
  std::size_t at = 0;
  while (at < bytes.size()) {
    if (bytes.size() - at < 12) {
      ADD_FAILURE() << "truncated record header at byte " << at;
      break;
    }
    auto length = little_endian<std::uint64_t>(bytes, at);
    EXPECT_EQ(little_endian<std::uint32_t>(bytes, at + 8), masked_crc32c(bytes.data() + at, 8)) << "length CRC at " << at;
    if (bytes.size() - at - 12 < length + 4) {
      ADD_FAILURE() << "truncated record data at byte " << at;
      break;
    }
    std::string data = bytes.substr(at + 12, length);
    EXPECT_EQ(little_endian<std::uint32_t>(bytes, at + 12 + length), masked_crc32c(data.data(), data.size()))
        << "data CRC at " << at;
    records.push_back(data);
    at += 12 + length + 4;
  }
  return records;
}

/// Reads protobuf fields off a buffer: (field number, wire type) then the value.
class ProtoReader {
 public:
  explicit ProtoReader(std::string bytes) : bytes_(std::move(bytes)) {}
  bool done() const { return at_ >= bytes_.size(); }
  std::pair<int, int> key() {
    std::uint64_t key = varint();
    return {static_cast<int>(key >> 3), static_cast<int>(key & 7)};
  }
  std::uint64_t varint() {
    std::uint64_t value = 0;
    for (int shift = 0; at_ < bytes_.size(); shift += 7) {
      auto byte = static_cast<unsigned char>(bytes_[at_++]);
      value |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
      if (!(byte & 0x80)) return value;
    }
    throw std::runtime_error("truncated varint");
  }
  double fixed64() {
    auto bits = little_endian<std::uint64_t>(bytes_, advance(8));
    double value;
    std::memcpy(&value, &bits, 8);
    return value;
  }
  float fixed32() {
    auto bits = little_endian<std::uint32_t>(bytes_, advance(4));
    float value;
    std::memcpy(&value, &bits, 4);
    return value;
  }
  std::string bytes() {
    auto length = varint();
    return bytes_.substr(advance(length), length);
  }

 private:
  std::size_t advance(std::size_t n) {
    if (bytes_.size() - at_ < n) throw std::runtime_error("truncated field");
    at_ += n;
    return at_ - n;
  }
  std::string bytes_;
  std::size_t at_ = 0;
};

struct Value {
  std::optional<std::string> tag;
  std::optional<float> simple_value;
};

struct Event {
  std::optional<double> wall_time;
  std::optional<std::int64_t> step;
  std::optional<std::string> file_version;
  std::vector<Value> values;
};

Value decode_value(std::string bytes) {
  Value value;
  for (ProtoReader r(std::move(bytes)); !r.done();) {
    auto [field, type] = r.key();
    if (field == 1 && type == 2) value.tag = r.bytes();
    else if (field == 2 && type == 5) value.simple_value = r.fixed32();
    else throw std::runtime_error("unexpected Summary.Value field " + std::to_string(field));
  }
  return value;
}

Event decode_event(std::string bytes) {
  Event event;
  for (ProtoReader r(std::move(bytes)); !r.done();) {
    auto [field, type] = r.key();
    if (field == 1 && type == 1) event.wall_time = r.fixed64();
    else if (field == 2 && type == 0) event.step = static_cast<std::int64_t>(r.varint());
    else if (field == 3 && type == 2) event.file_version = r.bytes();
    else if (field == 5 && type == 2) {
      for (ProtoReader summary(r.bytes()); !summary.done();) {
        auto [summary_field, summary_type] = summary.key();
        if (summary_field != 1 || summary_type != 2) throw std::runtime_error("unexpected Summary field");
        event.values.push_back(decode_value(summary.bytes()));
      }
    } else {
      throw std::runtime_error("unexpected Event field " + std::to_string(field));
    }
  }
  return event;
}

std::vector<Event> read_events(const fs::path& file) {
  std::vector<Event> events;
  for (std::string& record : read_records(file)) events.push_back(decode_event(std::move(record)));
  return events;
}

double now() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

/// The one scalar a record carries.
Value only_value(const Event& event) {
  EXPECT_EQ(event.values.size(), 1u);
  return event.values.empty() ? Value{} : event.values.front();
}

}  // namespace

TEST(Crc32c, KnownVectors) {
  EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u);
  EXPECT_EQ(crc32c("", 0), 0u);
  std::string zeros(32, '\0'), ones(32, '\xFF'), ascending;
  for (int i = 0; i < 32; ++i) ascending.push_back(static_cast<char>(i));
  EXPECT_EQ(crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);  // RFC 3720 B.4
  EXPECT_EQ(crc32c(ones.data(), ones.size()), 0x62A8AB43u);
  EXPECT_EQ(crc32c(ascending.data(), ascending.size()), 0x46DD794Eu);
}

TEST(Crc32c, Masking) {
  EXPECT_EQ(masked_crc32c("", 0), 0xA282EAD8u);
  EXPECT_EQ(masked_crc32c("123456789", 9), 0xC78AB0E5u);  // tensorboard's masked_crc32c
  std::uint32_t crc = crc32c("abc", 3);
  EXPECT_EQ(masked_crc32c("abc", 3), ((crc >> 15) | (crc << 17)) + 0xA282EAD8u);
}

TEST(EventWriter, FileNameFollowsTensorBoardsPattern) {
  ftcore::testing::TempDir dir;
  double before = now();
  EventWriter writer(dir.path());
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  EXPECT_EQ(writer.file().parent_path(), dir.path());
  std::string name = writer.file().filename().string();
  std::smatch match;
  ASSERT_TRUE(std::regex_match(name, match, std::regex(R"(events\.out\.tfevents\.(\d{10})\.(.+)\.(\d+)\.(\d+))"))) << name;
  EXPECT_NEAR(std::stod(match[1]), before, 2.0);
  EXPECT_EQ(match[2], std::string(host));
  EXPECT_EQ(match[3], std::to_string(::getpid()));
  EXPECT_TRUE(fs::is_regular_file(writer.file()));
}

TEST(EventWriter, TwoWritersInOneDirectoryGetTwoFiles) {
  ftcore::testing::TempDir dir;
  EventWriter first(dir.path()), second(dir.path());
  EXPECT_NE(first.file(), second.file());
}

TEST(EventWriter, CreatesMissingDirectories) {
  ftcore::testing::TempDir dir;
  EventWriter writer(dir.path() / "logs" / "training");
  EXPECT_TRUE(fs::is_regular_file(writer.file()));
}

TEST(EventWriter, FirstRecordIsTheFileVersion) {
  ftcore::testing::TempDir dir;
  double before = now();
  EventWriter writer(dir.path());
  std::vector<Event> events = read_events(writer.file());  // visible before any flush()
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].file_version, "brain.Event:2");
  ASSERT_TRUE(events[0].wall_time);
  EXPECT_NEAR(*events[0].wall_time, before, 2.0);
  EXPECT_FALSE(events[0].step);
  EXPECT_TRUE(events[0].values.empty());
}

TEST(EventWriter, ScalarsReadBack) {
  ftcore::testing::TempDir dir;
  EventWriter writer(dir.path());
  writer.add_scalar("train/loss", 1, 2.5, 1700000000.25);
  writer.add_scalar("train/learning_rate", 1, 2e-4, 1700000000.5);
  writer.add_scalar("eval/loss", 10, 1.75);
  writer.flush();
  std::vector<Event> events = read_events(writer.file());
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(only_value(events[1]).tag, "train/loss");
  EXPECT_EQ(events[1].step, 1);
  EXPECT_EQ(events[1].wall_time, 1700000000.25);
  EXPECT_EQ(only_value(events[1]).simple_value, 2.5f);
  EXPECT_EQ(only_value(events[2]).tag, "train/learning_rate");
  EXPECT_EQ(only_value(events[2]).simple_value, 2e-4f);
  EXPECT_EQ(events[3].step, 10);
  EXPECT_NEAR(*events[3].wall_time, now(), 5.0);
  EXPECT_FALSE(events[3].file_version);
}

// Bytes from tensorboard 2.21's own protobuf classes: Event(wall_time, step, summary=Summary(
// value=[Summary.Value(tag, simple_value)])).SerializeToString().
TEST(EventWriter, EncodesEventsExactlyAsTensorBoard) {
  ftcore::testing::TempDir dir;
  EventWriter writer(dir.path());
  writer.add_scalar("a", 0, 0.0, 1.5);
  writer.add_scalar("a", -1, std::nan(""), 0.0);
  writer.add_scalar("train/loss", std::numeric_limits<std::int64_t>::max(), 2.5, 1700000000.25);
  writer.add_scalar("train/learning_rate", 42, 2e-4, 1700000000.25);
  writer.flush();
  std::vector<std::string> records = read_records(writer.file());
  ASSERT_EQ(records.size(), 5u);
  EXPECT_EQ(hex(records[1]), "09000000000000f83f2a0a0a080a01611500000000");
  EXPECT_EQ(hex(records[2]), "10ffffffffffffffffff012a0a0a080a0161150000c07f");
  EXPECT_EQ(hex(records[3]), "0900001040fc54d94110ffffffffffffffff7f2a130a110a0a747261696e2f6c6f73731500002040");
  EXPECT_EQ(hex(records[4]),
            "0900001040fc54d941102a2a1c0a1a0a13747261696e2f6c6561726e696e675f726174651517b75139");
}

TEST(EventWriter, EdgeCaseStepsAndValues) {
  ftcore::testing::TempDir dir;
  EventWriter writer(dir.path());
  const std::int64_t big = std::numeric_limits<std::int64_t>::max(), small = std::numeric_limits<std::int64_t>::min();
  writer.add_scalar("s", 0, 0.0);  // proto3 leaves out step 0; the value sits in a oneof and stays
  writer.add_scalar("s", -7, -1.0);
  writer.add_scalar("s", big, 1e30);
  writer.add_scalar("s", small, std::numeric_limits<double>::infinity());
  writer.add_scalar("s", 3, std::nan(""));
  writer.add_scalar("s", 4, 0.1);
  writer.flush();
  std::vector<Event> events = read_events(writer.file());
  ASSERT_EQ(events.size(), 7u);
  EXPECT_FALSE(events[1].step);
  EXPECT_EQ(only_value(events[1]).simple_value, 0.0f);
  EXPECT_EQ(events[2].step, -7);
  EXPECT_EQ(only_value(events[2]).simple_value, -1.0f);
  EXPECT_EQ(events[3].step, big);
  EXPECT_EQ(only_value(events[3]).simple_value, 1e30f);
  EXPECT_EQ(events[4].step, small);
  EXPECT_TRUE(std::isinf(*only_value(events[4]).simple_value));
  EXPECT_TRUE(std::isnan(*only_value(events[5]).simple_value));
  EXPECT_EQ(only_value(events[6]).simple_value, 0.1f);
}

TEST(EventWriter, FlushMakesRecordsVisibleAndDestructionFlushes) {
  ftcore::testing::TempDir dir;
  fs::path file;
  {
    EventWriter writer(dir.path());
    file = writer.file();
    writer.add_scalar("loss", 1, 1.0);
    writer.flush();
    EXPECT_EQ(read_records(file).size(), 2u);
    writer.add_scalar("loss", 2, 0.5);
  }
  EXPECT_EQ(read_records(file).size(), 3u);
}

TEST(EventWriter, UnusableDirectoryIsARunErrorNamingIt) {
  ftcore::testing::TempDir dir;
  fs::path blocked = dir.write("not-a-directory", "x") / "logs";
  try {
    EventWriter writer(blocked);
    FAIL() << "expected RunError";
  } catch (const ftcore::RunError& e) {
    EXPECT_NE(std::string(e.what()).find(blocked.string()), std::string::npos) << e.what();
  }
}
