#include "format_test_util.hpp"
#include "text/text_format.hpp"

namespace ftcore::test {
namespace {

const formats::TextFormat text;

TEST(TextFormat, AStringIsTheText) {
  const Sample sample = text.convert("A line of a .txt file.");
  EXPECT_EQ(sample.kind, Sample::Kind::text);
  EXPECT_EQ(sample.text, "A line of a .txt file.");
}

TEST(TextFormat, AnObjectCarriesTheTextInText) {
  EXPECT_EQ(text.convert({{"text", "Hello."}, {"source", "wiki"}}).text, "Hello.");
}

TEST(TextFormat, Errors) {
  expect_format_error(text, 42, "", "text records must be strings or JSON objects with \"text\", got number");
  expect_format_error(text, {{"body", "x"}}, "text", "missing required field 'text'");
  expect_format_error(text, {{"text", json::array({"a"})}}, "text", "'text' must be a string, got array");
}

TEST(TextFormat, Score) {
  EXPECT_EQ(text.score("plain"), 0.5);  // any line is text: specific line formats must win
  EXPECT_EQ(text.score({{"text", "x"}}), 1.0);
  EXPECT_DOUBLE_EQ(text.score({{"text", "x"}, {"meta", 1}}), 0.6);
  EXPECT_EQ(text.score({{"text", 1}}), 0.5);
  EXPECT_EQ(text.score({{"body", "x"}}), 0.0);
  EXPECT_EQ(text.score(42), 0.0);
  EXPECT_EQ(text.score(nullptr), 0.0);
}

}  // namespace
}  // namespace ftcore::test
