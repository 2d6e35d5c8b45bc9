// Executes a parsed template: scopes, statements, expression evaluation and attribute lookup with
// the semantics of jinja2's ImmutableSandboxedEnvironment and default Undefined.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "template/ast.hpp"
#include "template/lexer.hpp"
#include "template/parser.hpp"

namespace ftcore::tmpl {

struct Scope {
  Scope* parent = nullptr;
  std::vector<std::pair<int, Value>> vars;
  const Value* find(int slot) const;
  void set(int slot, Value value);
};

class Interpreter {
 public:
  Interpreter(const Program& program, const SourceMap& map, int loop_slot, int caller_slot);

  /// Renders into `out`, recording generation spans.
  void run(const nlohmann::ordered_json& variables, std::string& out,
           std::vector<std::pair<std::size_t, std::size_t>>& spans);

  // Used by filters and methods.
  Value call(const Value& fn, CallArgs& args);
  Value getattr(const Value& obj, const std::string& name);
  Value getitem(const Value& obj, const Value& key);

 private:
  enum class Flow { Normal, Break, Continue };

  const Program& program_;
  const SourceMap& map_;
  int loop_slot_;
  int caller_slot_;
  std::string* out_ = nullptr;
  std::string* root_out_ = nullptr;
  std::vector<std::pair<std::size_t, std::size_t>>* spans_ = nullptr;
  Value block_input_;  // input of a filter-block / set-block filter chain
  int depth_ = 0;

  [[noreturn]] void error_at(std::size_t offset, const std::string& message) const;

  Flow exec_body(const Body& body, Scope& scope);
  Flow exec(const Stmt& stmt, Scope& scope);
  Flow exec_inner(const Stmt& stmt, Scope& scope);
  Flow exec_if(const Stmt& stmt, Scope& scope);
  Flow exec_for(const Stmt& stmt, Scope& scope);
  void exec_set(const Stmt& stmt, Scope& scope);
  void exec_set_block(const Stmt& stmt, Scope& scope);
  void exec_macro(const Stmt& stmt, Scope& scope);
  void exec_call_block(const Stmt& stmt, Scope& scope);
  void exec_filter_block(const Stmt& stmt, Scope& scope);
  Flow exec_with(const Stmt& stmt, Scope& scope);
  Flow exec_generation(const Stmt& stmt, Scope& scope);
  std::string capture(const Body& body, Scope& scope);
  Value apply_filter_chain(const Expr& chain, Value input, Scope& scope);
  void bind(const Target& target, const Value& value, Scope& scope);
  Value call_macro(const Stmt& macro, Scope* definition, CallArgs& args);

  Value eval(const Expr& expr, Scope& scope);
  Value eval_inner(const Expr& expr, Scope& scope);
  Value lookup(const Expr& name, Scope& scope);
  Value eval_call(const Expr& expr, Scope& scope);
  Value eval_filter(const Expr& expr, Scope& scope);
  bool eval_test(const Expr& expr, Scope& scope);
  Value eval_compare(const Expr& expr, Scope& scope);
  Value eval_getitem(const Expr& expr, Scope& scope);
  Value eval_binary(const Expr& expr, Scope& scope);
  void eval_args(const Expr& expr, Scope& scope, CallArgs& args);
  Value slice(const Value& obj, const Expr& slice, Scope& scope);
};

/// Python slice index normalisation (PySlice_AdjustIndices); returns the selected indices.
std::vector<std::size_t> slice_indices(std::int64_t length, const Value& start, const Value& stop, const Value& step);

}  // namespace ftcore::tmpl
