#pragma once
// Checks every format's Samples get: the conversation rules a chat template and the loss rely on.
#include <string>
#include <vector>

#include "ftcore/sample.hpp"

namespace ftcore::data {

struct SampleProblem {
  std::string field;    ///< "messages[2]" (index into the converted conversation)
  std::string message;
};

/// Empty conversation, assistant turn with neither content nor tool_calls, tool-call arguments
/// that are not JSON, tool message without a matching earlier call id, nothing to train on.
std::vector<SampleProblem> check_sample(const Sample& sample);

}  // namespace ftcore::data
