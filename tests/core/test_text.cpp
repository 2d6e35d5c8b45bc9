#include <gtest/gtest.h>

#include "util/text.hpp"

using namespace ftcore::text;

TEST(Text, SplitKeepsOrderAndDropsEmpty) {
  EXPECT_EQ(split("a,,b,", ','), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(split("a,,b", ',', true), (std::vector<std::string>{"a", "", "b"}));
}

TEST(Text, EditDistance) {
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("same", "same"), 0u);
}

TEST(Text, DidYouMeanOnlyForCloseWords) {
  EXPECT_EQ(did_you_mean("lerning_rate", {"learning_rate", "seed"}), " (did you mean 'learning_rate'?)");
  EXPECT_EQ(did_you_mean("zzzzzz", {"learning_rate", "seed"}), "");
}
