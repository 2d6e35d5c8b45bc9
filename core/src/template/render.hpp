// Executes a parsed template: scopes, statements, expression evaluation and attribute lookup with
// the semantics of jinja2's ImmutableSandboxedEnvironment and default Undefined.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "template/ast.hpp"
#include "template/lexer.hpp"
#include "template/parser.hpp"

namespace ftcore::tmpl {

struct Scope {
  explicit Scope(Scope* parent_scope = nullptr) : parent(parent_scope) {}
  Scope* parent = nullptr;
  std::vector<std::pair<int, Value>> vars;
  /// Made when a macro or caller() defined here captures the scope: false once the scope is gone,
  /// so that a macro stored in a namespace and called after its block ended fails cleanly.
  std::shared_ptr<bool> alive;
  ~Scope() {
    if (alive) *alive = false;
  }
  const Value* find(int slot) const;
  void set(int slot, Value value);
  std::shared_ptr<bool> liveness();
};

class Interpreter {
 public:
  Interpreter(const Program& program, const SourceMap& map, int loop_slot, int caller_slot, const Limits& limits);

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
  const Limits& limits_;
  Budget budget_;
  std::size_t render_depth_ = 0;  // nested exec/eval calls (Limits::max_render_depth)
  std::string* out_ = nullptr;
  std::string* root_out_ = nullptr;
  std::vector<std::pair<std::size_t, std::size_t>>* spans_ = nullptr;
  Value block_input_;  // input of a filter-block / set-block filter chain
  std::size_t depth_ = 0;  // nested macro and caller() calls (Limits::max_call_depth)

  /// One evaluation step and one level of render recursion while it lives.
  class Enter {
   public:
    explicit Enter(Interpreter& in) : in_(in) {
      if (++in.budget_.steps > in.limits_.max_steps || in.render_depth_ >= in.limits_.max_render_depth)
        in.fail_enter();
      ++in.render_depth_;
    }
    ~Enter() { --in_.render_depth_; }
    Enter(const Enter&) = delete;
    Enter& operator=(const Enter&) = delete;

   private:
    Interpreter& in_;
  };
  /// One level of macro / caller() nesting while it lives.
  class CallDepth {
   public:
    explicit CallDepth(Interpreter& in);
    ~CallDepth() { --in_.depth_; }
    CallDepth(const CallDepth&) = delete;
    CallDepth& operator=(const CallDepth&) = delete;

   private:
    Interpreter& in_;
  };

  [[noreturn]] void error_at(std::size_t offset, const std::string& message) const;
  /// The step budget or max_render_depth is exhausted (Enter).
  [[noreturn]] void fail_enter() const;
  /// Appends to the current output (the rendered text or a capture) within its size limit.
  void write(std::string_view text);
  void write_value(const Value& v);

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
