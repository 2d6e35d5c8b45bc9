// Builds the syntax tree from tokens with jinja2's grammar (parser.py) and its error messages.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "template/ast.hpp"
#include "template/lexer.hpp"

namespace ftcore::tmpl {

/// A parsed template: its statements and the interned variable names they use.
struct Program {
  Body body;
  std::unordered_map<std::string, int> slots;
  std::vector<std::string> slot_names;
  int slot(const std::string& name);
};

/// Parses tokens; throws TemplateError ("name:line:col: message"), also when blocks and expressions
/// nest deeper than limits.max_nesting.
Program parse(const std::vector<Token>& tokens, const SourceMap& map, const Limits& limits = Limits());

}  // namespace ftcore::tmpl
