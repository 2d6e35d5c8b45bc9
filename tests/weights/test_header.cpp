// Each check of a safetensors file, with a file built by hand, and the header's legal corners.
#include <gtest/gtest.h>

#include "weights_support.hpp"

using namespace ftcore;
using namespace ftcore::testing;
using ftcore::weights::SafetensorsFile;

#define EXPECT_CONTAINS(text, part) EXPECT_NE(std::string(text).find(part), std::string::npos) << (text)

namespace {

const std::string kF32Pair = R"("dtype":"F32","shape":[2])";

class SafetensorsHeader : public ::testing::Test {
 protected:
  // The message opening `bytes` fails with; it must name the file.
  std::string open_error(const std::string& bytes) {
    auto file = dir.write("bad.safetensors", bytes);
    std::string message = usage_error([&] { SafetensorsFile::open(file); });
    EXPECT_EQ(message.rfind(file.string() + ": ", 0), 0u) << message;
    return message;
  }
  std::shared_ptr<SafetensorsFile> open_ok(const std::string& bytes) {
    return SafetensorsFile::open(dir.write("ok.safetensors", bytes));
  }
  TempDir dir;
};

TEST_F(SafetensorsHeader, RejectsAFileShorterThanTheLength) {
  EXPECT_CONTAINS(open_error("abc"), "is 3 bytes long: too short for a safetensors file");
  EXPECT_CONTAINS(open_error(""), "is 0 bytes long");
}

TEST_F(SafetensorsHeader, RejectsAHeaderOverTheLimit) {
  EXPECT_CONTAINS(open_error(le64(100'000'001) + "{}"), "header length 100000001 is over the limit of 100000000 bytes");
}

TEST_F(SafetensorsHeader, RejectsAHeaderPastTheEndOfTheFile) {
  EXPECT_CONTAINS(open_error(le64(64) + "{}"), "header length 64 runs past the end of the file (10 bytes)");
  EXPECT_CONTAINS(open_error(le64(~0ull) + "{}"), "is over the limit");
}

TEST_F(SafetensorsHeader, RejectsAHeaderThatIsNotUtf8) {
  EXPECT_CONTAINS(open_error(st_bytes("{\"\xff\":1}")), "header is not valid UTF-8 (byte 2 of the header)");
}

TEST_F(SafetensorsHeader, RejectsAHeaderThatIsNotJson) {
  EXPECT_CONTAINS(open_error(st_bytes("{\"a\":")), "header is not valid JSON: parse error");
}

TEST_F(SafetensorsHeader, RejectsAHeaderThatIsNotAnObject) {
  EXPECT_CONTAINS(open_error(st_bytes("[1,2]")), "header must be a JSON object, got array");
}

TEST_F(SafetensorsHeader, RejectsAnEntryThatIsNotAnObject) {
  EXPECT_CONTAINS(open_error(st_bytes(R"({"w":5})")), "tensor 'w': expected an object with dtype, shape and data_offsets, got number");
}

TEST_F(SafetensorsHeader, RejectsAnEntryMissingAField) {
  EXPECT_CONTAINS(open_error(st_bytes(R"({"w":{"shape":[],"data_offsets":[0,4]}})", "1234")), "tensor 'w': missing \"dtype\"");
  EXPECT_CONTAINS(open_error(st_bytes(R"({"w":{"dtype":"F32","data_offsets":[0,4]}})", "1234")), "tensor 'w': missing \"shape\"");
  EXPECT_CONTAINS(open_error(st_bytes(R"({"w":{"dtype":"F32","shape":[]}})", "1234")), "tensor 'w': missing \"data_offsets\"");
}

TEST_F(SafetensorsHeader, RejectsFieldsOfTheWrongType) {
  EXPECT_CONTAINS(open_error(st_bytes(R"({"w":{"dtype":4,"shape":[],"data_offsets":[0,4]}})", "1234")),
                  "tensor 'w': \"dtype\" must be a string, got number");
  EXPECT_CONTAINS(open_error(st_bytes(R"({"w":{"dtype":"F32","shape":"2","data_offsets":[0,4]}})", "1234")),
                  "tensor 'w': \"shape\" must be a list of integers, got string");
  EXPECT_CONTAINS(open_error(st_bytes(R"({"w":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}})", "1234")),
                  "\"shape\" must be a list of integers, got a list holding 1.0");
  EXPECT_CONTAINS(open_error(st_bytes(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[4]}})", "1234")),
                  "tensor 'w': \"data_offsets\" must be [begin, end] with non-negative integers, got [4]");
  EXPECT_CONTAINS(open_error(st_bytes(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}})", "1234")),
                  "\"data_offsets\" must be [begin, end] with non-negative integers, got [-4,0]");
}

TEST_F(SafetensorsHeader, RejectsAnUnknownDtype) {
  EXPECT_CONTAINS(open_error(st_bytes(R"({"w":{"dtype":"F128","shape":[],"data_offsets":[0,16]}})", std::string(16, 'x'))),
                  "tensor 'w': unknown dtype 'F128' (safetensors has BOOL, U8, I8, F8_E5M2, F8_E4M3, I16, U16, F16, BF16");
}

TEST_F(SafetensorsHeader, RejectsANegativeDimension) {
  EXPECT_CONTAINS(open_error(st_bytes(R"({"w":{"dtype":"F32","shape":[2,-1],"data_offsets":[0,0]}})")),
                  "tensor 'w': shape [2, -1] has a negative dimension");
}

TEST_F(SafetensorsHeader, RejectsOffsetsThatEndBeforeTheyBegin) {
  EXPECT_CONTAINS(open_error(st_bytes(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})", "12345678")),
                  "tensor 'w': data_offsets [8, 4] end before they begin");
}

TEST_F(SafetensorsHeader, RejectsAByteSizeThatDoesNotMatchTheShape) {
  EXPECT_CONTAINS(open_error(st_bytes("{\"w\":{" + kF32Pair + ",\"data_offsets\":[0,4]}}", "1234")),
                  "tensor 'w': data_offsets [0, 4] span 4 bytes, but F32 [2] needs 8");
}

TEST_F(SafetensorsHeader, RejectsAByteSizeThatOverflows) {
  EXPECT_CONTAINS(open_error(st_bytes(R"({"w":{"dtype":"F32","shape":[4611686018427387904,8],"data_offsets":[0,0]}})")),
                  "tensor 'w': shape [4611686018427387904, 8] is too large: its byte size overflows 64 bits");
  EXPECT_CONTAINS(open_error(st_bytes(R"({"w":{"dtype":"U8","shape":[18446744073709551615],"data_offsets":[0,0]}})")),
                  "tensor 'w': shape dimension 18446744073709551615 is too large");
}

TEST_F(SafetensorsHeader, RejectsDataThatDoesNotStartAtZero) {
  EXPECT_CONTAINS(open_error(st_bytes("{\"w\":{" + kF32Pair + ",\"data_offsets\":[4,12]}}", std::string(12, 'x'))),
                  "tensor 'w': data starts at offset 4, but the first tensor's data must start at 0");
}

TEST_F(SafetensorsHeader, RejectsAGapBetweenTensors) {
  std::string header = "{\"a\":{" + kF32Pair + ",\"data_offsets\":[0,8]},\"b\":{" + kF32Pair + ",\"data_offsets\":[12,20]}}";
  EXPECT_CONTAINS(open_error(st_bytes(header, std::string(20, 'x'))),
                  "gap of 4 bytes in the data between tensor 'a' [0, 8] and tensor 'b' [12, 20]");
}

TEST_F(SafetensorsHeader, RejectsOverlappingTensors) {
  std::string header = "{\"a\":{" + kF32Pair + ",\"data_offsets\":[0,8]},\"b\":{" + kF32Pair + ",\"data_offsets\":[4,12]}}";
  EXPECT_CONTAINS(open_error(st_bytes(header, std::string(12, 'x'))), "tensors 'a' [0, 8] and 'b' [4, 12] overlap");
  std::string empty_inside = "{\"a\":{" + kF32Pair + ",\"data_offsets\":[0,8]},\"z\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]}}";
  EXPECT_CONTAINS(open_error(st_bytes(empty_inside, std::string(8, 'x'))), "tensors 'a' [0, 8] and 'z' [4, 4] overlap");
}

TEST_F(SafetensorsHeader, RejectsAFileLengthThatDoesNotMatchTheData) {
  std::string header = "{\"w\":{" + kF32Pair + ",\"data_offsets\":[0,8]}}";
  EXPECT_CONTAINS(open_error(st_bytes(header, "1234")),
                  "the tensors' data ends at byte 8 of the data buffer, but the file holds 4 bytes of data after its 54-byte header");
  EXPECT_CONTAINS(open_error(st_bytes(header, "1234")), ": the file is truncated");
  EXPECT_CONTAINS(open_error(st_bytes(header, "123456789")), ": trailing bytes after the last tensor");
}

TEST_F(SafetensorsHeader, RejectsATensorNamedTwice) {
  std::string entry = "{" + kF32Pair + ",\"data_offsets\":[0,8]}";
  EXPECT_CONTAINS(open_error(st_bytes("{\"w\":" + entry + ",\"w\":" + entry + "}", "12345678")),
                  "header: key 'w' appears twice in one JSON object");
  EXPECT_CONTAINS(open_error(st_bytes(R"({"w":{"dtype":"F32","dtype":"F32","shape":[],"data_offsets":[0,4]}})", "1234")),
                  "key 'dtype' appears twice");
}

TEST_F(SafetensorsHeader, RejectsMetadataThatIsNotAStringMap) {
  EXPECT_CONTAINS(open_error(st_bytes(R"({"__metadata__":["pt"]})")),
                  "__metadata__ must be an object mapping strings to strings, got array");
  EXPECT_CONTAINS(open_error(st_bytes(R"({"__metadata__":{"format":"pt","step":3}})")),
                  "__metadata__ must map strings to strings, but 'step' is number");
}

TEST_F(SafetensorsHeader, AcceptsScalarsEmptyTensorsAndNoTensors) {
  std::string header = R"({"e":{"dtype":"BF16","shape":[3,0],"data_offsets":[0,0]},)"
                       R"("s":{"dtype":"F32","shape":[],"data_offsets":[0,4]}})";
  float value = 2.5f;
  auto file = open_ok(st_bytes(header, std::string(reinterpret_cast<const char*>(&value), 4)));
  ASSERT_EQ(file->tensors().size(), 2u);
  EXPECT_EQ(file->tensor("s").dim(), 0);
  EXPECT_EQ(file->tensor("s").item<float>(), 2.5f);
  EXPECT_EQ(file->tensor("e").sizes(), (std::vector<std::int64_t>{3, 0}));
  EXPECT_TRUE(open_ok(st_bytes("{}     "))->tensors().empty());
}

TEST_F(SafetensorsHeader, AcceptsNullMetadataAndUnknownFields) {
  auto file = open_ok(st_bytes(R"({"__metadata__":null,"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"extra":1}})", "\x07"));
  EXPECT_TRUE(file->metadata().empty());
  EXPECT_EQ(file->tensor("w").item<std::uint8_t>(), 7);
}

// A header length that is not a multiple of 8 leaves the data unaligned: the tensor is a copy.
TEST_F(SafetensorsHeader, ReadsUnalignedData) {
  std::string header = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  ASSERT_NE((8 + header.size()) % 4, 0u);
  float values[2] = {1.5f, -3.0f};
  auto file = open_ok(st_bytes(header, std::string(reinterpret_cast<const char*>(values), 8)));
  torch::Tensor w = file->tensor("w");
  EXPECT_TRUE(torch::equal(w, torch::tensor({1.5f, -3.0f})));
}

TEST_F(SafetensorsHeader, OpensDtypesLibtorchLacksButNotTheirTensors) {
  auto file = open_ok(st_bytes(R"({"u":{"dtype":"U16","shape":[2],"data_offsets":[0,4]}})", "abcd"));
  ASSERT_NE(file->find("u"), nullptr);
  if (weights::to_torch(weights::DType::U16)) {
    EXPECT_EQ(file->tensor("u").numel(), 2);
  } else {
    EXPECT_CONTAINS(usage_error([&] { file->tensor("u"); }), "ok.safetensors: tensor 'u' has dtype U16, which libtorch");
  }
}

TEST_F(SafetensorsHeader, NamesTheFileWhenItCannotBeOpened) {
  EXPECT_CONTAINS(usage_error([&] { SafetensorsFile::open(dir.path() / "absent.safetensors"); }),
                  "cannot open " + (dir.path() / "absent.safetensors").string() + ": No such file");
  EXPECT_CONTAINS(usage_error([&] { SafetensorsFile::open(dir.path()); }), ": not a regular file");
}

}  // namespace
