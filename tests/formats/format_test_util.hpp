#pragma once
// Assertions shared by the format tests.

#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ftcore/dataset_format.hpp"
#include "ftcore/sample.hpp"

namespace ftcore::test {

using nlohmann::json;

/// A JSON array of `items` (json::array takes json_ref lists, not lists of json).
inline json array_of(std::initializer_list<json> items) {
  json array = json::array();
  for (const json& item : items) array.push_back(item);
  return array;
}

/// A message with the fields most tests set; the rest keep Message's defaults.
inline Message message(Role role, std::optional<std::string> content, bool train = false) {
  Message built;
  built.role = role;
  built.content = std::move(content);
  built.train = train;
  return built;
}

inline ToolCall tool_call(std::string id, std::string name, std::string arguments) {
  ToolCall call;
  call.id = std::move(id);
  call.name = std::move(name);
  call.arguments = std::move(arguments);
  return call;
}

/// Compares every field of every message, naming the message index on failure.
inline void expect_messages(const std::vector<Message>& actual, const std::vector<Message>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    SCOPED_TRACE("message " + std::to_string(i));
    EXPECT_EQ(role_name(actual[i].role), std::string(role_name(expected[i].role)));
    EXPECT_EQ(actual[i].content, expected[i].content);
    EXPECT_EQ(actual[i].reasoning, expected[i].reasoning);
    EXPECT_EQ(actual[i].tool_call_id, expected[i].tool_call_id);
    EXPECT_EQ(actual[i].name, expected[i].name);
    EXPECT_EQ(actual[i].train, expected[i].train);
    ASSERT_EQ(actual[i].tool_calls.size(), expected[i].tool_calls.size());
    for (std::size_t c = 0; c < actual[i].tool_calls.size(); ++c) {
      EXPECT_EQ(actual[i].tool_calls[c].id, expected[i].tool_calls[c].id);
      EXPECT_EQ(actual[i].tool_calls[c].type, expected[i].tool_calls[c].type);
      EXPECT_EQ(actual[i].tool_calls[c].name, expected[i].tool_calls[c].name);
      EXPECT_EQ(actual[i].tool_calls[c].arguments, expected[i].tool_calls[c].arguments);
    }
  }
}

/// Expects convert(record) to throw FormatError for `field` with `message_part` in its message.
inline void expect_format_error(const DatasetFormat& format, const json& record,
                                const std::string& field, const std::string& message_part) {
  SCOPED_TRACE("record: " + record.dump());
  try {
    format.convert(record);
    ADD_FAILURE() << "convert did not throw";
  } catch (const FormatError& error) {
    EXPECT_EQ(error.field(), field);
    EXPECT_NE(std::string(error.what()).find(message_part), std::string::npos)
        << "message: " << error.what() << "\nexpected to contain: " << message_part;
  }
}

}  // namespace ftcore::test
