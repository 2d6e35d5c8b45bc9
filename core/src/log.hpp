#pragma once
// Logging to stderr through spdlog: plain text for people, or one JSON object per line.
#include <string>

namespace ftcore {

/// level: trace|debug|info|warn|error|off; format: text|json.
void setup_logging(const std::string& level, const std::string& format);

}  // namespace ftcore
