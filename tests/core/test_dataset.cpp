// Loading data through formats: detection per file, --format, --max-examples, invalid records.
#include <gtest/gtest.h>

#include "alpaca/alpaca_format.hpp"
#include "data/dataset.hpp"
#include "errors.hpp"
#include "openai/openai_format.hpp"
#include "qa/qa_format.hpp"
#include "test_support.hpp"
#include "text/text_format.hpp"

using namespace ftcore;
using namespace ftcore::data;
using ftcore::testing::TempDir;

namespace {

struct Formats {
  Registry registry;
  Formats() {
    Registry::Staging staged(ComponentOrigin{"test-formats", ""});
    staged.add(std::make_unique<formats::AlpacaFormat>());
    staged.add(std::make_unique<formats::OpenAiFormat>());
    staged.add(std::make_unique<formats::QaFormat>());
    staged.add(std::make_unique<formats::TextFormat>());
    registry.commit(std::move(staged));
  }
};

const char* kAlpaca = R"([
  {"instruction": "Say hi", "output": "hi"},
  {"instruction": "Add", "input": "1+1", "output": "2"},
  {"instruction": "No output"}
])";
const char* kOpenai =
    "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\", \"content\": \"a\"}]}\n"
    "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\", \"content\": null}]}\n"
    "{\"messages\": [{\"role\": \"user\", \"content\": \"q2\"}, {\"role\": \"assistant\", \"content\": \"a2\"}]}\n";

}  // namespace

TEST(Dataset, DetectsTheFormatOfEachFileInAMixedDirectory) {
  TempDir dir;
  auto a = dir.write("a.json", kAlpaca);
  auto o = dir.write("o.jsonl", kOpenai);
  auto t = dir.write("t.txt", "one line\nanother\n");
  Formats f;
  Dataset d = load_dataset({a, o, t}, f.registry, {});
  ASSERT_EQ(d.files.size(), 3u);
  EXPECT_EQ(d.files[0].format, "alpaca");
  EXPECT_EQ(d.files[1].format, "openai");
  EXPECT_EQ(d.files[2].format, "text");
  EXPECT_TRUE(d.files[0].detected);
  EXPECT_EQ(d.samples.size(), 2u + 2u + 2u);
  EXPECT_EQ(d.samples[0].format, "alpaca");
  EXPECT_EQ(d.samples[0].source.str(), a.string() + ":2:3");
  ASSERT_EQ(d.invalid.size(), 2u);
  EXPECT_EQ(d.invalid[0].str(), a.string() + ":4:3: [alpaca] output: missing required field 'output' (alpaca "
                                              "records need instruction and output)");
  EXPECT_EQ(d.invalid[1].str(), o.string() + ":2:1: [openai] messages[1]: assistant turn has neither content nor "
                                              "tool_calls");
  EXPECT_EQ(d.files[1].invalid, 1u);
}

TEST(Dataset, MaxExamplesCountsWhatIsLeftOut) {
  TempDir dir;
  auto t = dir.write("t.txt", "a\nb\nc\nd\n");
  Formats f;
  Dataset d = load_dataset({t}, f.registry, {std::nullopt, 3});
  EXPECT_EQ(d.samples.size(), 3u);
  EXPECT_EQ(d.unused, 1u);
}

TEST(Dataset, GivenFormatIsUsedAndBrokenJsonIsReportedInFileOrder) {
  TempDir dir;
  auto o = dir.write("o.jsonl", std::string("{oops\n") + kOpenai);
  Formats f;
  Dataset d = load_dataset({o}, f.registry, {std::string("openai"), std::nullopt});
  EXPECT_FALSE(d.files[0].detected);
  ASSERT_EQ(d.invalid.size(), 2u);
  EXPECT_EQ(d.invalid[0].where.line, 1u);
  EXPECT_EQ(d.invalid[0].format, "");
  EXPECT_EQ(d.invalid[1].where.line, 3u);
  EXPECT_EQ(d.files[0].records, 4u);
}

TEST(Dataset, AFileNoFormatMatchesHasEveryRecordReported) {
  TempDir dir;
  auto x = dir.write("x.jsonl", "{\"foo\": 1}\n{\"bar\": 2}\n");
  Formats f;
  Dataset d = load_dataset({x}, f.registry, {});
  EXPECT_EQ(d.files[0].format, "");
  EXPECT_EQ(d.files[0].invalid, 2u);
  ASSERT_EQ(d.invalid.size(), 2u);
  EXPECT_NE(d.invalid[0].message.find("no installed format matches"), std::string::npos);
  EXPECT_NE(d.invalid[0].message.find("installed: alpaca, openai, qa, text"), std::string::npos);
}

TEST(Dataset, UnknownFormatAndNoFormatsAreUsageErrors) {
  Formats f;
  try {
    load_dataset({}, f.registry, {std::string("alpacca"), std::nullopt});
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "--format 'alpacca': no such dataset format (did you mean 'alpaca'?); installed: alpaca, "
                           "openai, qa, text");
  }
  Registry empty;
  EXPECT_THROW(load_dataset({}, empty, {}), UsageError);
  EXPECT_THROW(load_dataset({}, f.registry, {std::nullopt, 0}), UsageError);
}
