#pragma once
// Logging to stderr through spdlog: plain text for people, or one JSON object per line; on a
// terminal a status line (the training progress bar) can stay below the log lines.
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace ftcore {

/// level: trace|debug|info|warn|error|off; format: text|json.
void setup_logging(const std::string& level, const std::string& format);

/// Whether setup_logging chose the JSON format.
bool log_is_json();

/// A distributed run's rank other than 0: warnings and errors only, each saying the rank ("rank 1: ..."
/// in text, a "rank" field in JSON).
void set_rank_logging(int rank);

/// Whether stderr is a terminal.
bool stderr_is_terminal();

/// A line kept below the log lines and redrawn after each of them; "" removes it. Only for text
/// logs (the caller decides whether a terminal is there).
void set_status_line(const std::string& line);

/// An info-level event: in JSON logs one object {"time", "level": "info", "event", the fields...,
/// "message"}; in text logs the message alone.
void log_event(const std::string& event, const nlohmann::json& fields, const std::string& message);

}  // namespace ftcore
