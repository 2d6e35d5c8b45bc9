#include "template/jinja.hpp"

#include "template/lexer.hpp"
#include "template/parser.hpp"
#include "template/render.hpp"

namespace ftcore::tmpl {

struct Template::Impl {
  std::string source;
  SourceMap map;
  Limits limits;
  Program program;
  int loop_slot = -1;
  int caller_slot = -1;

  Impl(const std::string& raw, std::string name, const Limits& l)
      : source(normalize_source(raw)), map(source, std::move(name)), limits(l) {
    Budget budget;  // string literals are values too: Limits::max_string_bytes applies to them
    budget.limits = &limits;
    BudgetScope scope(budget);
    program = parse(tokenize(source, map), map, limits);
    loop_slot = program.slot("loop");
    caller_slot = program.slot("caller");
  }
};

Template::Template(const std::string& source, std::string name, const Limits& limits)
    : impl_(std::make_unique<Impl>(source, std::move(name), limits)) {}
Template::~Template() = default;
Template::Template(Template&&) noexcept = default;
Template& Template::operator=(Template&&) noexcept = default;

const std::string& Template::name() const { return impl_->map.name(); }
const Limits& Template::limits() const { return impl_->limits; }

Rendered Template::render(const nlohmann::ordered_json& variables) const {
  Rendered result;
  Interpreter interpreter(impl_->program, impl_->map, impl_->loop_slot, impl_->caller_slot, impl_->limits);
  interpreter.run(variables, result.text, result.generation_spans);
  return result;
}

}  // namespace ftcore::tmpl
