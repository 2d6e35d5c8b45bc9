// Reading data files: every record gets its file:line:column; broken JSON is one error per record.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include "data/reader.hpp"
#include "test_support.hpp"

using namespace ftcore::data;

TEST(Reader, JsonArrayRecordsCarryTheirLineAndColumn) {
  FileRecords f = parse_records("[\n  {\"a\": 1},\n  {\"a\": 2}\n]\n", "x.json");
  EXPECT_EQ(f.kind, FileKind::json_array);
  ASSERT_EQ(f.records.size(), 2u);
  EXPECT_TRUE(f.errors.empty());
  EXPECT_EQ(f.records[1].where.str(), "x.json:3:3");
  EXPECT_EQ(f.records[1].value["a"], 2);
}

TEST(Reader, OneBrokenArrayElementDoesNotHideTheOthers) {
  FileRecords f = parse_records("[\n {\"a\": 1},\n {\"a\": tru},\n {\"a\": 3}\n]", "x.json");
  ASSERT_EQ(f.records.size(), 2u);
  ASSERT_EQ(f.errors.size(), 1u);
  EXPECT_EQ(f.errors[0].where.line, 3u);
  EXPECT_NE(f.errors[0].message.find("invalid JSON"), std::string::npos);
  EXPECT_EQ(f.records[1].value["a"], 3);
}

TEST(Reader, UnclosedArrayAndTrailingText) {
  EXPECT_EQ(parse_records("[{\"a\": 1}", "x.json").errors.at(0).message,
            "invalid JSON: the array is not closed (missing ']')");
  FileRecords trailing = parse_records("[{\"a\": 1}] junk", "x.json");
  EXPECT_EQ(trailing.records.size(), 1u);
  EXPECT_EQ(trailing.errors.at(0).message, "invalid JSON: text after the closing ']'");
  EXPECT_EQ(trailing.errors.at(0).where.str(), "x.json:1:12");
  EXPECT_EQ(parse_records("[{\"a\": 1},,{\"a\": 2}]", "x.json").errors.at(0).message,
            "invalid JSON: empty array element (stray ',')");
  EXPECT_TRUE(parse_records("[]", "x.json").records.empty());
}

TEST(Reader, StringsWithBracketsAndEscapesDoNotConfuseTheScanner) {
  FileRecords f = parse_records(R"([{"a": "],[\"{"}, {"b": "x"}])", "x.json");
  ASSERT_EQ(f.records.size(), 2u);
  EXPECT_EQ(f.records[0].value["a"], "],[\"{");
}

TEST(Reader, JsonLinesWithBadLineReportLineAndColumn) {
  FileRecords f = parse_records("{\"a\": 1}\n\n{\"a\": }\r\n{\"a\": 3}\n", "x.jsonl");
  EXPECT_EQ(f.kind, FileKind::json_lines);
  ASSERT_EQ(f.records.size(), 2u);
  EXPECT_EQ(f.records[1].where.line, 4u);
  ASSERT_EQ(f.errors.size(), 1u);
  EXPECT_EQ(f.errors[0].where.str(), "x.jsonl:3:7");
}

TEST(Reader, TextLinesBecomeJsonStrings) {
  FileRecords f = parse_records("\xEF\xBB\xBFhello\n\n  \nworld\r\n", "x.txt");
  EXPECT_EQ(f.kind, FileKind::text_lines);
  ASSERT_EQ(f.records.size(), 2u);
  EXPECT_EQ(f.records[0].value, "hello");
  EXPECT_EQ(f.records[1].value, "world");
  EXPECT_EQ(f.records[1].where.line, 4u);
}

TEST(Reader, DotJsonWithOneObjectPerLineIsJsonLines) {
  FileRecords f = parse_records("{\"a\": 1}\n{\"a\": 2}\n", "x.json");
  EXPECT_EQ(f.kind, FileKind::json_lines);
  EXPECT_EQ(f.records.size(), 2u);
}

// Issue 28: a number beyond a double (1e999) and a .txt line that is not UTF-8 aborted the whole run
// with no file:line; they are errors of their record now, and the other records are read.
TEST(Reader, ANumberBeyondADoubleIsAnErrorOfItsRecord) {
  FileRecords f = parse_records("{\"a\": 1}\n{\"a\": 1e999}\n{\"a\": 3}\n", "x.jsonl");
  ASSERT_EQ(f.records.size(), 2u);
  ASSERT_EQ(f.errors.size(), 1u);
  EXPECT_EQ(f.errors[0].where.str(), "x.jsonl:2:1");
  EXPECT_NE(f.errors[0].message.find("number overflow parsing '1e999'"), std::string::npos) << f.errors[0].message;
  FileRecords array = parse_records("[{\"a\": -1e999}, {\"a\": 2}]", "x.json");
  EXPECT_EQ(array.records.size(), 1u);
  EXPECT_EQ(array.errors.size(), 1u);
}

TEST(Reader, ATextLineThatIsNotUtf8IsAnErrorOfItsLine) {
  FileRecords f = parse_records("fine\nbad \xff\xfe byte\nfine too\n", "x.txt");
  ASSERT_EQ(f.records.size(), 2u);
  ASSERT_EQ(f.errors.size(), 1u);
  EXPECT_EQ(f.errors[0].where.str(), "x.txt:2:5");
  EXPECT_EQ(f.errors[0].message, "not UTF-8 text (byte 0xff here); save the file as UTF-8");
}

TEST(Reader, AFifoIsRefusedInsteadOfWaitedFor) {
  ftcore::testing::TempDir dir;
  const auto fifo = dir.path() / "data.jsonl";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::string message = ftcore::testing::error_of([&] { read_records(fifo); });
  EXPECT_EQ(message, fifo.string() + ": cannot read the data file: not a regular file but a FIFO (named pipe); ftcore reads "
                                     "only regular files");
}
