#include "alpaca/alpaca_format.hpp"
#include "format_test_util.hpp"

namespace ftcore::test {
namespace {

const formats::AlpacaFormat alpaca;

TEST(AlpacaFormat, InstructionAndOutputBecomeUserAndTrainedAssistant) {
  const Sample sample = alpaca.convert({{"instruction", "Name a colour."}, {"output", "Blue."}});
  EXPECT_EQ(sample.kind, Sample::Kind::conversation);
  expect_messages(sample.messages, {message(Role::user, "Name a colour."),
                                    message(Role::assistant, "Blue.", true)});
  EXPECT_EQ(sample.tools, json::array());
}

TEST(AlpacaFormat, InputFollowsInstructionAfterABlankLine) {
  const Sample sample =
      alpaca.convert({{"instruction", "Translate."}, {"input", "Hallo"}, {"output", "Hello"}});
  expect_messages(sample.messages, {message(Role::user, "Translate.\n\nHallo"),
                                    message(Role::assistant, "Hello", true)});
}

TEST(AlpacaFormat, EmptyOrNullInputIsLeftOut) {
  for (const json& input : {json(""), json(nullptr)}) {
    const Sample sample = alpaca.convert({{"instruction", "Hi"}, {"input", input}, {"output", "Hey"}});
    EXPECT_EQ(sample.messages.at(0).content, "Hi");
  }
}

TEST(AlpacaFormat, SystemComesFirstUnlessEmpty) {
  const Sample with_system =
      alpaca.convert({{"instruction", "Hi"}, {"output", "Hey"}, {"system", "Be brief."}});
  expect_messages(with_system.messages, {message(Role::system, "Be brief."), message(Role::user, "Hi"),
                                         message(Role::assistant, "Hey", true)});
  const Sample empty_system =
      alpaca.convert({{"instruction", "Hi"}, {"output", "Hey"}, {"system", ""}});
  EXPECT_EQ(empty_system.messages.size(), 2u);
}

TEST(AlpacaFormat, HistoryPairsPrecedeTheFinalTurnAndTrain) {
  const json record = {{"system", "S"},
                       {"instruction", "Q3"},
                       {"output", "A3"},
                       {"history", json::array({json::array({"Q1", "A1"}), json::array({"Q2", "A2"})})}};
  expect_messages(alpaca.convert(record).messages,
                  {message(Role::system, "S"), message(Role::user, "Q1"),
                   message(Role::assistant, "A1", true), message(Role::user, "Q2"),
                   message(Role::assistant, "A2", true), message(Role::user, "Q3"),
                   message(Role::assistant, "A3", true)});
}

TEST(AlpacaFormat, UnknownKeysAreIgnored) {
  const Sample sample =
      alpaca.convert({{"instruction", "Hi"}, {"output", "Hey"}, {"id", 7}, {"source", "web"}});
  EXPECT_EQ(sample.messages.size(), 2u);
}

TEST(AlpacaFormat, RecordMustBeAnObject) {
  expect_format_error(alpaca, json::array(), "", "alpaca records must be JSON objects, got array");
  expect_format_error(alpaca, "text", "", "got string");
}

TEST(AlpacaFormat, MissingRequiredFieldsAreNamed) {
  expect_format_error(alpaca, {{"output", "x"}}, "instruction",
                      "missing required field 'instruction' (alpaca records need instruction and output)");
  expect_format_error(alpaca, {{"instruction", "x"}}, "output", "missing required field 'output'");
}

TEST(AlpacaFormat, WrongTypesNameExpectedAndActual) {
  expect_format_error(alpaca, {{"instruction", "x"}, {"output", 3}}, "output",
                      "'output' must be a string, got number");
  expect_format_error(alpaca, {{"instruction", nullptr}, {"output", "y"}}, "instruction",
                      "'instruction' must be a string, got null");
  expect_format_error(alpaca, {{"instruction", "x"}, {"output", "y"}, {"input", json::array({1})}}, "input",
                      "'input' must be a string, got array");
  expect_format_error(alpaca, {{"instruction", "x"}, {"output", "y"}, {"system", true}}, "system",
                      "'system' must be a string, got boolean");
}

TEST(AlpacaFormat, MalformedHistoryIsPinpointed) {
  const json base = {{"instruction", "x"}, {"output", "y"}};
  auto with_history = [&](json history) {
    json record = base;
    record["history"] = std::move(history);
    return record;
  };
  // {{"a", "b"}} is the JSON object {"a": "b"}.
  expect_format_error(alpaca, with_history({{"a", "b"}}), "history",
                      "'history' must be an array of [user, assistant] pairs, got object");
  expect_format_error(alpaca, with_history(json::array({"a"})), "history[0]",
                      "'history[0]' must be a [user, assistant] pair, got string");
  expect_format_error(alpaca, with_history(json::array({json::array({"a", "b"}), json::array({"c"})})), "history[1]",
                      "must hold two strings [user, assistant], got 1 items");
  expect_format_error(alpaca, with_history(json::array({json::array({"a", 2})})), "history[0][1]",
                      "'history[0][1]' must be a string, got number");
}

TEST(AlpacaFormat, Score) {
  EXPECT_EQ(alpaca.score({{"instruction", "x"}, {"output", "y"}}), 1.0);
  EXPECT_EQ(alpaca.score({{"instruction", "x"}, {"output", 1}}), 0.5);
  EXPECT_EQ(alpaca.score({{"instruction", "x"}}), 0.3);
  EXPECT_EQ(alpaca.score(json::object()), 0.0);
  EXPECT_EQ(alpaca.score("instruction"), 0.0);
}

}  // namespace
}  // namespace ftcore::test
