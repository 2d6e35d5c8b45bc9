// Auto-detection across all built-in formats: each format's examples must convert and score
// highest for their own format, and nothing throws from score().
#include <memory>

#include "alpaca/alpaca_format.hpp"
#include "completion/completion_format.hpp"
#include "format_test_util.hpp"
#include "openai/openai_format.hpp"
#include "qa/qa_format.hpp"
#include "sharegpt/sharegpt_format.hpp"
#include "text/text_format.hpp"

namespace ftcore::test {
namespace {

std::vector<std::unique_ptr<DatasetFormat>> all_formats() {
  std::vector<std::unique_ptr<DatasetFormat>> formats;
  formats.push_back(std::make_unique<formats::AlpacaFormat>());
  formats.push_back(std::make_unique<formats::ShareGptFormat>());
  formats.push_back(std::make_unique<formats::OpenAiFormat>());
  formats.push_back(std::make_unique<formats::QaFormat>());
  formats.push_back(std::make_unique<formats::CompletionFormat>());
  formats.push_back(std::make_unique<formats::TextFormat>());
  return formats;
}

/// The name of the format scoring `record` highest, "" when every score is 0 or two tie.
std::string detect(const std::vector<std::unique_ptr<DatasetFormat>>& formats, const json& record) {
  std::string best;
  double best_score = 0.0;
  bool tie = false;
  for (const auto& format : formats) {
    const double score = format->score(record);
    EXPECT_GE(score, 0.0) << format->name();
    EXPECT_LE(score, 1.0) << format->name();
    if (score > best_score) {
      best = format->name();
      best_score = score;
      tie = false;
    } else if (score == best_score && score > 0.0) {
      tie = true;
    }
  }
  return tie ? "" : best;
}

TEST(FormatDetection, NamesAndDescriptions) {
  const std::vector<std::string> expected = {"alpaca", "sharegpt", "openai", "qa", "completion", "text"};
  const auto formats = all_formats();
  for (std::size_t i = 0; i < formats.size(); ++i) {
    EXPECT_EQ(formats[i]->name(), expected[i]);
    EXPECT_FALSE(formats[i]->description().empty());
    EXPECT_EQ(formats[i]->description().find('\n'), std::string::npos);
  }
}

TEST(FormatDetection, EveryExampleConvertsAndScoresHighestForItsOwnFormat) {
  const auto formats = all_formats();
  for (const auto& format : formats) {
    const std::vector<json> examples = format->examples();
    EXPECT_GE(examples.size(), 2u) << format->name();
    for (const json& example : examples) {
      SCOPED_TRACE(format->name() + " example " + example.dump());
      // A bare string is any .txt line, so text scores it 0.5; every other example is certain.
      EXPECT_EQ(format->score(example), example.is_string() ? 0.5 : 1.0);
      EXPECT_EQ(detect(formats, example), format->name());
      EXPECT_NO_THROW(format->convert(example));
    }
  }
}

TEST(FormatDetection, OpenAiExamplesIncludeAToolCallRoundTripAndReasoning) {
  bool has_tool_round_trip = false;
  bool has_reasoning = false;
  for (const json& example : formats::OpenAiFormat().examples()) {
    const Sample sample = formats::OpenAiFormat().convert(example);
    for (const Message& message : sample.messages) {
      has_tool_round_trip = has_tool_round_trip || !message.tool_call_id.empty();
      has_reasoning = has_reasoning || !message.reasoning.empty();
    }
  }
  EXPECT_TRUE(has_tool_round_trip);
  EXPECT_TRUE(has_reasoning);
}

TEST(FormatDetection, RecordsWithWrongTypesStillPickTheirFormat) {
  const auto formats = all_formats();
  EXPECT_EQ(detect(formats, {{"instruction", "x"}, {"output", 1}}), "alpaca");
  EXPECT_EQ(detect(formats, {{"instruction", "x"}}), "alpaca");
  EXPECT_EQ(detect(formats, {{"conversations", "x"}}), "sharegpt");
  EXPECT_EQ(detect(formats, {{"messages", {{"role", "user"}}}}), "openai");
  EXPECT_EQ(detect(formats, {{"question", "x"}, {"answer", json::array()}}), "qa");
  EXPECT_EQ(detect(formats, {{"prompt", "x"}}), "completion");
  EXPECT_EQ(detect(formats, {{"text", 3}}), "text");
}

TEST(FormatDetection, AFormatsKeysOutweighAStrayTextField) {
  const auto formats = all_formats();
  EXPECT_EQ(detect(formats, {{"prompt", "x"}, {"completion", "y"}, {"text", "x y"}}), "completion");
  EXPECT_EQ(detect(formats, {{"text", "x"}, {"id", 1}}), "text");
}

TEST(FormatDetection, GarbageScoresZeroEverywhere) {
  const auto formats = all_formats();
  for (const json& garbage : {json(42), json(nullptr), json::array(), json(true), json::object(),
                              json({{"foo", "bar"}}), json::array({"x"})}) {
    SCOPED_TRACE(garbage.dump());
    for (const auto& format : formats) EXPECT_EQ(format->score(garbage), 0.0) << format->name();
  }
}

TEST(FormatDetection, ABareStringIsText) {
  const auto formats = all_formats();
  EXPECT_EQ(detect(formats, "x"), "text");
  EXPECT_EQ(detect(formats, ""), "text");
}

TEST(FormatDetection, ConvertRejectsGarbageWithTheRecordAsField) {
  for (const auto& format : all_formats()) {
    for (const json& garbage : {json(42), json(nullptr), json::array()}) {
      SCOPED_TRACE(format->name() + " " + garbage.dump());
      try {
        format->convert(garbage);
        ADD_FAILURE() << "no FormatError";
      } catch (const FormatError& error) {
        EXPECT_EQ(error.field(), "");
      }
    }
  }
}

}  // namespace
}  // namespace ftcore::test
