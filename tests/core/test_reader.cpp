// Reading data files: every record gets its file:line:column; broken JSON is one error per record.
#include <gtest/gtest.h>

#include "data/reader.hpp"

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
