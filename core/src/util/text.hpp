#pragma once
// Small string helpers used across the engine.
#include <string>
#include <string_view>
#include <vector>

namespace ftcore::text {

std::vector<std::string> split(std::string_view s, char sep, bool keep_empty = false);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
std::string trim(std::string_view s);
/// One number through a printf pattern: format_number("%.4f", 0.52341) is "0.5234".
std::string format_number(const char* pattern, double value);
std::string lower(std::string_view s);
bool starts_with(std::string_view s, std::string_view prefix);
bool ends_with(std::string_view s, std::string_view suffix);
/// Up to the first line break (libtorch's messages go on with a stack trace).
std::string first_line(std::string_view s);

/// Levenshtein distance.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The closest candidate when it is close enough to be a plausible typo, else "".
std::string closest(std::string_view word, const std::vector<std::string>& candidates);

/// " (did you mean 'x'?)" or "" when nothing is close.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace ftcore::text
