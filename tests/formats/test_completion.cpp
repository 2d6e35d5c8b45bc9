#include "completion/completion_format.hpp"
#include "format_test_util.hpp"

namespace ftcore::test {
namespace {

const formats::CompletionFormat completion;

TEST(CompletionFormat, PromptAndCompletionAreCopied) {
  const Sample sample = completion.convert({{"prompt", "The sky is"}, {"completion", " blue."}, {"id", 3}});
  EXPECT_EQ(sample.kind, Sample::Kind::prompt_completion);
  EXPECT_EQ(sample.prompt, "The sky is");
  EXPECT_EQ(sample.completion, " blue.");
  EXPECT_FALSE(sample.train_prompt);
  EXPECT_TRUE(sample.messages.empty());
}

TEST(CompletionFormat, Errors) {
  expect_format_error(completion, nullptr, "", "completion records must be JSON objects, got null");
  expect_format_error(completion, {{"completion", "x"}}, "prompt",
                      "missing required field 'prompt' (completion records need prompt and completion)");
  expect_format_error(completion, {{"prompt", "x"}}, "completion", "missing required field 'completion'");
  expect_format_error(completion, {{"prompt", {{"text", "x"}}}, {"completion", "y"}}, "prompt",
                      "'prompt' must be a string, got object");
}

TEST(CompletionFormat, Score) {
  EXPECT_EQ(completion.score({{"prompt", "x"}, {"completion", "y"}}), 1.0);
  EXPECT_EQ(completion.score({{"prompt", "x"}, {"completion", 1}}), 0.5);
  EXPECT_EQ(completion.score({{"prompt", "x"}}), 0.3);
  EXPECT_EQ(completion.score("prompt"), 0.0);
}

}  // namespace
}  // namespace ftcore::test
