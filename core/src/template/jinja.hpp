// Jinja2 template engine for Hugging Face chat templates.
//
// Renders `chat_template` strings byte-identically to Python's jinja2 3.1 as transformers configures
// it: ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True), loop controls, the
// `{% generation %}` block, globals raise_exception/strftime_now and transformers' tojson filter.
#pragma once

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace ftcore::tmpl {

/// Syntax or render error; the message starts with "name:line:column: ".
class TemplateError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Rendered {
  std::string text;
  /// [begin, end) byte offsets in `text` of output produced inside {% generation %} blocks.
  std::vector<std::pair<std::size_t, std::size_t>> generation_spans;
};

class Template {
 public:
  /// Parses; throws TemplateError with name:line:column.
  Template(const std::string& source, std::string name = "template");
  ~Template();
  Template(Template&&) noexcept;
  Template& operator=(Template&&) noexcept;

  /// Renders with these variables (nlohmann::ordered_json object: messages, tools,
  /// add_generation_prompt, bos_token, ...). Thread-safe: a parsed template is immutable.
  Rendered render(const nlohmann::ordered_json& variables) const;

  const std::string& name() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ftcore::tmpl
