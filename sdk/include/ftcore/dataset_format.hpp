#pragma once
// DatasetFormat: one shape of training record (alpaca, sharegpt, openai messages, ...).

#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ftcore/export.hpp"
#include "ftcore/sample.hpp"

namespace ftcore {

/// Thrown by DatasetFormat::convert for a record it cannot turn into a Sample.
/// `field` is a path into the record ("conversations[2].from"), "" for the record as a whole;
/// the message says what is wrong and, where it helps, what to write instead.
/// Its destructor is defined in libftcore, so the type (and what catches it) is one across plugins.
class FTCORE_API FormatError : public std::runtime_error {
 public:
  FormatError(std::string field, const std::string& message)
      : std::runtime_error(message), field_(std::move(field)) {}
  ~FormatError() override;
  const std::string& field() const { return field_; }

 private:
  std::string field_;
};

class DatasetFormat {
 public:
  virtual ~DatasetFormat() = default;

  /// Name used with --format, e.g. "alpaca".
  virtual std::string name() const = 0;
  /// One line for `ftcore plugins`.
  virtual std::string description() const = 0;

  /// How well a raw record matches this format, in [0, 1]: 0 = not this format, 1 = certainly.
  /// Must not throw. Records are JSON values; a line of a .txt file arrives as a JSON string.
  virtual double score(const nlohmann::json& record) const = 0;

  /// Converts one record. Throws FormatError naming the field for anything missing, of the
  /// wrong type, or unknown. Conversation-level checks (tool-call ids, empty turns, trainable
  /// turns) are done by the engine for every format, so a format need not repeat them.
  virtual Sample convert(const nlohmann::json& record) const = 0;

  /// Records in this format that convert cleanly; the conformance suite and docs use them.
  virtual std::vector<nlohmann::json> examples() const = 0;
};

}  // namespace ftcore
