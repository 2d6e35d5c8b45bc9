#include "format_test_util.hpp"
#include "qa/qa_format.hpp"

namespace ftcore::test {
namespace {

const formats::QaFormat qa;

TEST(QaFormat, QuestionAndAnswerBecomeUserAndTrainedAssistant) {
  const Sample sample = qa.convert({{"question", "2 + 2?"}, {"answer", "4"}});
  EXPECT_EQ(sample.kind, Sample::Kind::conversation);
  expect_messages(sample.messages, {message(Role::user, "2 + 2?"), message(Role::assistant, "4", true)});
}

TEST(QaFormat, ContextPrecedesTheQuestion) {
  const Sample sample =
      qa.convert({{"question", "Who?"}, {"answer", "Ada"}, {"context", "Ada wrote it."}});
  EXPECT_EQ(sample.messages.at(0).content, "Context:\nAda wrote it.\n\nQuestion:\nWho?");
}

TEST(QaFormat, EmptyOrNullContextIsLeftOut) {
  for (const json& context : {json(""), json(nullptr)}) {
    EXPECT_EQ(qa.convert({{"question", "Q"}, {"answer", "A"}, {"context", context}}).messages.at(0).content, "Q");
  }
}

TEST(QaFormat, UnknownKeysAreIgnored) {
  EXPECT_EQ(qa.convert({{"question", "Q"}, {"answer", "A"}, {"id", 1}}).messages.size(), 2u);
}

TEST(QaFormat, Errors) {
  expect_format_error(qa, json::array(), "", "qa records must be JSON objects, got array");
  expect_format_error(qa, {{"answer", "A"}}, "question",
                      "missing required field 'question' (qa records need question and answer)");
  expect_format_error(qa, {{"question", "Q"}}, "answer", "missing required field 'answer'");
  expect_format_error(qa, {{"question", "Q"}, {"answer", 4}}, "answer", "'answer' must be a string, got number");
  expect_format_error(qa, {{"question", "Q"}, {"answer", "A"}, {"context", json::array()}}, "context",
                      "'context' must be a string, got array");
}

TEST(QaFormat, Score) {
  EXPECT_EQ(qa.score({{"question", "Q"}, {"answer", "A"}}), 1.0);
  EXPECT_EQ(qa.score({{"question", "Q"}, {"answer", false}}), 0.5);
  EXPECT_EQ(qa.score({{"answer", "A"}}), 0.3);
  EXPECT_EQ(qa.score({{"instruction", "Q"}, {"output", "A"}}), 0.0);
}

}  // namespace
}  // namespace ftcore::test
