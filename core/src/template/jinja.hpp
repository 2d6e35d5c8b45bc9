// Jinja2 template engine for Hugging Face chat templates.
//
// Renders `chat_template` strings byte-identically to Python's jinja2 3.1 as transformers configures
// it: ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True), loop controls, the
// `{% generation %}` block, globals raise_exception/strftime_now and transformers' tojson filter.
#pragma once

#include <cstddef>
#include <cstdint>
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

/// Bounds that make parsing and rendering a hostile template (downloaded with a model) end with a
/// TemplateError instead of crashing, hanging or exhausting memory. Real chat templates stay far
/// below every one of them (they nest < 20 deep and render in well under 100k steps), so normal
/// rendering is unaffected; docs/tokenizers-and-templates.md describes them.
struct Limits {
  /// jinja2's sandbox MAX_RANGE: range() of more items raises "Range too big" (not configurable:
  /// it is the sandbox's own behaviour).
  static constexpr std::int64_t kMaxRange = 100000;

  /// Parsing: nested blocks plus nested sub-expressions (parentheses, brackets, unary operators,
  /// else-branches) at any point, and the height of any expression tree (`a + b + c`, `x|f|g`).
  std::size_t max_nesting = 200;
  /// Rendering: nested macro calls, caller() included ("maximum recursion depth exceeded").
  std::size_t max_call_depth = 200;
  /// Rendering: nested statement and expression evaluations across all macro calls, which bounds
  /// the native stack the renderer uses.
  std::size_t max_render_depth = 1000;
  /// Rendering: evaluation steps (one per statement, expression and loop iteration, plus one per
  /// 16 bytes or per item that an operation produces or scans), so that loops in loops end within
  /// a second or two and a render cannot allocate more than a few hundred MB in all.
  std::uint64_t max_steps = 20'000'000;
  /// Size of the rendered text.
  std::size_t max_output_bytes = std::size_t{64} << 20;
  /// Size of any one string value (including text captured by set/filter blocks and macros).
  std::size_t max_string_bytes = std::size_t{64} << 20;
  /// Items of any one list or tuple value.
  std::size_t max_list_items = std::size_t{1} << 20;
  /// Nesting of list / dict values (template-built or from the variables' JSON).
  std::size_t max_value_depth = 256;
};

struct Rendered {
  std::string text;
  /// [begin, end) byte offsets in `text` of output produced inside {% generation %} blocks.
  std::vector<std::pair<std::size_t, std::size_t>> generation_spans;
};

class Template {
 public:
  /// Parses; throws TemplateError with name:line:column.
  Template(const std::string& source, std::string name = "template", const Limits& limits = Limits());
  ~Template();
  Template(Template&&) noexcept;
  Template& operator=(Template&&) noexcept;

  /// Renders with these variables (nlohmann::ordered_json object: messages, tools,
  /// add_generation_prompt, bos_token, ...). Thread-safe: a parsed template is immutable.
  Rendered render(const nlohmann::ordered_json& variables) const;

  const std::string& name() const;
  const Limits& limits() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ftcore::tmpl
