// UTF-8 helpers giving Python str semantics (code points, str.isspace, case mapping).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ftcore::tmpl::unicode {

/// Decodes the code point at s[pos] and advances pos (invalid bytes decode as themselves).
char32_t next(std::string_view s, std::size_t& pos);
void append(std::string& out, char32_t cp);
std::vector<char32_t> decode(std::string_view s);
std::string encode(const std::vector<char32_t>& cps);
bool is_ascii(std::string_view s);
std::size_t length(std::string_view s);

/// Python str.isspace for one code point.
bool is_space(char32_t cp);
/// Python str.isprintable for one code point (used by repr).
bool is_printable(char32_t cp);
bool is_upper(char32_t cp);
bool is_lower(char32_t cp);
bool is_cased(char32_t cp);
bool is_alpha(char32_t cp);
bool is_digit(char32_t cp);
bool is_alnum(char32_t cp);

std::string to_upper(std::string_view s);
std::string to_lower(std::string_view s);
/// Python str.capitalize (first upper, rest lower).
std::string capitalize(std::string_view s);
/// Python str.title.
std::string title(std::string_view s);

/// Python strip/lstrip/rstrip; chars == nullptr strips whitespace.
std::string strip(std::string_view s, const std::string* chars, bool left, bool right);

/// s.find(needle, from) and s.rfind(needle) restricted to occurrences that end at or before `end`,
/// in linear time whatever the needle (std::string's search is O(len * needle) at worst); they
/// charge the render's step budget for the bytes they scan.
std::size_t find(std::string_view s, std::string_view needle, std::size_t from = 0);
std::size_t rfind(std::string_view s, std::string_view needle, std::size_t end);

/// Python str.replace (count < 0: all; an empty `old` inserts between code points). Fails before
/// building a result longer than Limits::max_string_bytes.
std::string replace(std::string_view s, const std::string& old_s, const std::string& new_s, long long count);

/// Python str.splitlines: breaks at \n, \r, \r\n, \v, \f, \x1c-\x1e, \x85, U+2028, U+2029.
/// Fails once there would be more than Limits::max_list_items lines.
std::vector<std::string> split_lines(std::string_view s, bool keepends);

/// Python str.isupper (upper) / str.islower: no character of the other case, and at least one cased.
bool all_cased(std::string_view s, bool upper);

}  // namespace ftcore::tmpl::unicode
