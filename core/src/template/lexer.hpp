// Splits template source into tokens exactly as jinja2's lexer does with trim_blocks and
// lstrip_blocks enabled (whitespace control, comments, raw blocks, brace balancing).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace ftcore::tmpl {

enum class TokenType { Data, VariableBegin, VariableEnd, BlockBegin, BlockEnd, Name, String, Integer, Float, Operator, End };

struct Token {
  TokenType type;
  std::string value;  // data text, name, decoded string literal, number text or operator
  std::size_t offset;  // byte offset in the normalised source
};

/// Maps byte offsets to "name:line:column: " prefixes.
class SourceMap {
 public:
  SourceMap(const std::string& source, std::string name);
  std::string where(std::size_t offset) const;
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::vector<std::size_t> line_starts_;
};

/// Newline normalisation and removal of one trailing newline (keep_trailing_newline=False).
std::string normalize_source(const std::string& source);

/// Tokenises normalised source; throws TemplateError on lexical errors.
std::vector<Token> tokenize(const std::string& source, const SourceMap& map);

}  // namespace ftcore::tmpl
