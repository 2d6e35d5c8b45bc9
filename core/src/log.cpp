#include "log.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <mutex>

#include <nlohmann/json.hpp>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace ftcore {

namespace {

std::mutex& stderr_mutex() {
  static std::mutex m;
  return m;
}

bool& json_format() {
  static bool value = false;
  return value;
}

/// The rank of a distributed run's worker other than rank 0 (its lines say so), else -1.
int& log_rank() {
  static int rank = -1;
  return rank;
}

std::string level_name(spdlog::level::level_enum level) {
  auto view = spdlog::level::to_string_view(level);
  return std::string(view.data(), view.size());
}

void write_stderr(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

/// {"time": ..., "level": "warn", "message": "..."} per line on stderr.
class JsonLinesSink final : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    auto seconds = std::chrono::duration<double>(msg.time.time_since_epoch()).count();
    nlohmann::json line{{"time", seconds},
                        {"level", level_name(msg.level)},
                        {"message", std::string(msg.payload.data(), msg.payload.size())}};
    if (log_rank() >= 0) line["rank"] = log_rank();
    std::lock_guard<std::mutex> lock(stderr_mutex());
    write_stderr(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  }
  void flush_() override {}
};

/// "level: message" lines; on a terminal the level is coloured and the status line is redrawn
/// below each line.
class TextSink final : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
 public:
  explicit TextSink(bool terminal) : terminal_(terminal) {}

  void set_status(const std::string& line) {
    std::lock_guard<std::mutex> lock(stderr_mutex());
    if (line.empty() && status_.empty()) return;
    status_ = line;
    write_stderr("\r\x1b[K" + status_);
    if (status_.empty()) write_stderr("\r");
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string level = level_name(msg.level);
    if (terminal_) {
      const char* colour = msg.level >= spdlog::level::err    ? "\x1b[31m\x1b[1m"
                           : msg.level == spdlog::level::warn ? "\x1b[33m\x1b[1m"
                           : msg.level == spdlog::level::info ? "\x1b[32m"
                                                              : "";
      if (*colour) level = colour + level + "\x1b[0m";
    }
    const std::string payload(msg.payload.data(), msg.payload.size());
    std::string rank = log_rank() >= 0 ? "rank " + std::to_string(log_rank()) + ": " : "";
    if (!rank.empty() && payload.rfind(rank, 0) == 0) rank.clear();  // the message names its rank already
    std::string text = level + ": " + rank + payload + "\n";
    std::lock_guard<std::mutex> lock(stderr_mutex());
    write_stderr(status_.empty() ? text : "\r\x1b[K" + text + status_);
  }
  void flush_() override {}

 private:
  bool terminal_;
  std::string status_;
};

std::shared_ptr<TextSink>& text_sink() {
  static std::shared_ptr<TextSink> sink;
  return sink;
}

}  // namespace

void setup_logging(const std::string& level, const std::string& format) {
  std::shared_ptr<spdlog::logger> logger;
  json_format() = format == "json";
  if (json_format()) {
    text_sink().reset();
    logger = std::make_shared<spdlog::logger>("ftcore", std::make_shared<JsonLinesSink>());
  } else {
    text_sink() = std::make_shared<TextSink>(stderr_is_terminal());
    logger = std::make_shared<spdlog::logger>("ftcore", text_sink());
  }
  logger->set_level(spdlog::level::from_str(level));
  spdlog::set_default_logger(logger);
}

bool log_is_json() { return json_format(); }

void set_rank_logging(int rank) {
  log_rank() = rank;
  if (spdlog::default_logger()->level() < spdlog::level::warn) spdlog::default_logger()->set_level(spdlog::level::warn);
}

bool stderr_is_terminal() { return isatty(STDERR_FILENO) == 1; }

void set_status_line(const std::string& line) {
  if (text_sink()) text_sink()->set_status(line);
}

void log_event(const std::string& event, const nlohmann::json& fields, const std::string& message) {
  if (!json_format()) {
    spdlog::info("{}", message);
    return;
  }
  if (!spdlog::default_logger()->should_log(spdlog::level::info)) return;
  nlohmann::json line{{"time", std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count()},
                      {"level", "info"},
                      {"event", event}};
  for (const auto& [key, value] : fields.items()) line[key] = value;
  line["message"] = message;
  std::lock_guard<std::mutex> lock(stderr_mutex());
  write_stderr(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

}  // namespace ftcore
