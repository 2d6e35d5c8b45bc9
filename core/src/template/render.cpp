#include "template/render.hpp"

#include "template/builtins.hpp"
#include "template/jinja.hpp"
#include "template/unicode.hpp"

namespace ftcore::tmpl {

const Value* Scope::find(int slot) const {
  std::size_t scanned = 0;
  for (const Scope* s = this; s; s = s->parent) {
    scanned += s->vars.size();
    for (const auto& [k, v] : s->vars)
      if (k == slot) return &v;
  }
  if (scanned >= 256) charge(scanned / 64);  // thousands of variables make every lookup slow
  return nullptr;
}

void Scope::set(int slot, Value value) {
  for (auto& [k, v] : vars)
    if (k == slot) {
      v = std::move(value);
      return;
    }
  if (vars.size() >= 256) charge(vars.size() / 64);
  vars.emplace_back(slot, std::move(value));
}

std::shared_ptr<bool> Scope::liveness() {
  if (!alive) alive = std::make_shared<bool>(true);
  return alive;
}

Interpreter::Interpreter(const Program& program, const SourceMap& map, int loop_slot, int caller_slot,
                         const Limits& limits)
    : program_(program), map_(map), loop_slot_(loop_slot), caller_slot_(caller_slot), limits_(limits) {
  budget_.limits = &limits_;
}

void Interpreter::fail_enter() const {
  if (budget_.steps > limits_.max_steps) fail(step_budget_message(limits_));
  fail("maximum recursion depth exceeded: statements and expressions nest more than " +
       std::to_string(limits_.max_render_depth) + " levels deep while rendering (Limits::max_render_depth)");
}

Interpreter::CallDepth::CallDepth(Interpreter& in) : in_(in) {
  if (in.depth_ >= in.limits_.max_call_depth)
    fail("maximum recursion depth exceeded: more than " + std::to_string(in.limits_.max_call_depth) +
         " nested macro calls (Limits::max_call_depth)");
  ++in.depth_;
}

void Interpreter::error_at(std::size_t offset, const std::string& message) const {
  throw TemplateError(map_.where(offset) + message);
}

void Interpreter::write(std::string_view text) {
  bool root = out_ == root_out_;
  std::size_t limit = root ? limits_.max_output_bytes : limits_.max_string_bytes;
  std::size_t size = size_add(out_->size(), text.size());
  if (size > limit) {
    if (root)
      fail("output too long: the rendered text would exceed " + std::to_string(limit) +
           " bytes (Limits::max_output_bytes)");
    check_string_size(size, "the text of a block or macro");
  }
  charge_bytes(text.size());
  out_->append(text);
}

void Interpreter::write_value(const Value& v) {
  if (v.is(Kind::String)) {
    write(v.str());
  } else if (!v.is_undefined()) {
    std::string text;
    v.append_str(text);
    write(text);
  }
}

void Interpreter::run(const nlohmann::ordered_json& variables, std::string& out,
                      std::vector<std::pair<std::size_t, std::size_t>>& spans) {
  BudgetScope budget_scope(budget_);
  // Namespaces live until the render ends (Budget::namespaces); emptying them all first breaks
  // their cycles and frees what they hold while none of them can be freed recursively.
  struct ReleaseNamespaces {
    Budget& budget;
    ~ReleaseNamespaces() {
      for (auto& ns : budget.namespaces) {
        ns.dict_data().items.clear();
        ns.dict_data().index.clear();
      }
      budget.namespaces.clear();
    }
  } release{budget_};
  Scope root;
  if (variables.is_object()) {
    for (auto it = variables.begin(); it != variables.end(); ++it) {
      auto slot = program_.slots.find(it.key());
      if (slot == program_.slots.end()) continue;
      try {
        root.set(slot->second, Value::from_json(it.value()));
      } catch (const RenderFail& f) {
        error_at(0, "variable '" + it.key() + "': " + f.message);
      }
    }
  }
  out_ = root_out_ = &out;
  spans_ = &spans;
  exec_body(program_.body, root);
}

// ---- statements -----------------------------------------------------------------------------

Interpreter::Flow Interpreter::exec_body(const Body& body, Scope& scope) {
  for (const auto& stmt : body) {
    Flow flow = exec(*stmt, scope);
    if (flow != Flow::Normal) return flow;
  }
  return Flow::Normal;
}

Interpreter::Flow Interpreter::exec(const Stmt& stmt, Scope& scope) {
  try {
    Enter enter(*this);
    return exec_inner(stmt, scope);
  } catch (const RenderFail& f) {  // failures outside any expression (unpacking, output)
    error_at(stmt.offset, f.message);
  }
}

Interpreter::Flow Interpreter::exec_inner(const Stmt& stmt, Scope& scope) {
  switch (stmt.kind) {
    case StmtKind::Text: write(stmt.text); return Flow::Normal;
    case StmtKind::Output: write_value(eval(*stmt.expr, scope)); return Flow::Normal;
    case StmtKind::If: return exec_if(stmt, scope);
    case StmtKind::For: return exec_for(stmt, scope);
    case StmtKind::Set: exec_set(stmt, scope); return Flow::Normal;
    case StmtKind::SetBlock: exec_set_block(stmt, scope); return Flow::Normal;
    case StmtKind::Macro: exec_macro(stmt, scope); return Flow::Normal;
    case StmtKind::CallBlock: exec_call_block(stmt, scope); return Flow::Normal;
    case StmtKind::FilterBlock: exec_filter_block(stmt, scope); return Flow::Normal;
    case StmtKind::With: return exec_with(stmt, scope);
    case StmtKind::Generation: return exec_generation(stmt, scope);
    case StmtKind::Break: return Flow::Break;
    case StmtKind::Continue: return Flow::Continue;
  }
  return Flow::Normal;
}

Interpreter::Flow Interpreter::exec_if(const Stmt& stmt, Scope& scope) {
  for (const auto& [test, body] : stmt.branches)
    if (eval(*test, scope).truthy()) return exec_body(body, scope);
  return exec_body(stmt.else_body, scope);
}

Interpreter::Flow Interpreter::exec_for(const Stmt& stmt, Scope& scope) {
  Value iterable = eval(*stmt.expr, scope);
  Value seq;
  try {
    seq = iterate(iterable);
  } catch (const RenderFail& f) {
    error_at(stmt.expr->offset, f.message);
  }
  if (stmt.condition) {
    std::vector<Value> kept;
    for (const auto& item : seq.items()) {
      Scope test_scope(&scope);
      bind(stmt.target, item, test_scope);
      if (eval(*stmt.condition, test_scope).truthy()) kept.push_back(item);
    }
    seq = Value::list(std::move(kept));
  }
  if (seq.items().empty()) return exec_body(stmt.else_body, scope);
  auto state = std::make_shared<LoopState>();
  state->items = seq;
  Value loop = Value::loop(state);
  for (std::size_t k = 0; k < state->size(); ++k) {
    if (++budget_.steps > limits_.max_steps) error_at(stmt.offset, step_budget_message(limits_));
    state->index0 = k;
    Scope iteration(&scope);
    iteration.vars.reserve(4);
    iteration.vars.emplace_back(loop_slot_, loop);
    bind(stmt.target, state->items.items()[k], iteration);
    if (exec_body(stmt.body, iteration) == Flow::Break) break;
  }
  return Flow::Normal;
}

void Interpreter::bind(const Target& target, const Value& value, Scope& scope) {
  if (!target.tuple) {
    scope.set(target.names[0].second, value);
    return;
  }
  Value items;
  try {
    if (value.is_undefined()) value.fail_undefined();
    items = iterate(value);
  } catch (const RenderFail& f) {
    fail(f.message.find("not iterable") != std::string::npos
             ? "cannot unpack non-iterable " + std::string(value.type_name()) + " object"
             : f.message);
  }
  std::size_t want = target.names.size(), got = items.items().size();
  if (got < want)
    fail("not enough values to unpack (expected " + std::to_string(want) + ", got " + std::to_string(got) + ")");
  if (got > want) fail("too many values to unpack (expected " + std::to_string(want) + ")");
  for (std::size_t k = 0; k < want; ++k) scope.set(target.names[k].second, items.items()[k]);
}

void Interpreter::exec_set(const Stmt& stmt, Scope& scope) {
  Value value = eval(*stmt.expr, scope);
  try {
    if (!stmt.target.attribute.empty()) {
      const Value* ns = scope.find(stmt.target.names[0].second);
      if (!ns || !ns->is(Kind::Namespace)) fail("cannot assign attribute on non-namespace object");
      ns->dict_data().set(Value::string(stmt.target.attribute), std::move(value));
      return;
    }
    bind(stmt.target, value, scope);
  } catch (const RenderFail& f) {
    error_at(stmt.offset, f.message);
  }
}

std::string Interpreter::capture(const Body& body, Scope& scope) {
  std::string buffer;
  std::string* saved = out_;
  out_ = &buffer;
  try {
    exec_body(body, scope);
  } catch (...) {
    out_ = saved;
    throw;
  }
  out_ = saved;
  return buffer;
}

Value Interpreter::apply_filter_chain(const Expr& chain, Value input, Scope& scope) {
  Value saved = block_input_;
  block_input_ = std::move(input);
  Value result = eval(chain, scope);
  block_input_ = saved;
  return result;
}

void Interpreter::exec_set_block(const Stmt& stmt, Scope& scope) {
  Scope inner(&scope);
  Value value = Value::string(capture(stmt.body, inner));
  if (stmt.filter) value = apply_filter_chain(*stmt.filter, value, scope);
  if (!stmt.target.attribute.empty()) {
    const Value* ns = scope.find(stmt.target.names[0].second);
    if (!ns || !ns->is(Kind::Namespace)) error_at(stmt.offset, "cannot assign attribute on non-namespace object");
    ns->dict_data().set(Value::string(stmt.target.attribute), std::move(value));
    return;
  }
  try {
    bind(stmt.target, value, scope);
  } catch (const RenderFail& f) {
    error_at(stmt.offset, f.message);
  }
}

void Interpreter::exec_filter_block(const Stmt& stmt, Scope& scope) {
  Scope inner(&scope);
  Value body = Value::string(capture(stmt.body, inner));
  Value result = apply_filter_chain(*stmt.filter, body, scope);
  try {
    write_value(result);
  } catch (const RenderFail& f) {
    error_at(stmt.offset, f.message);
  }
}

Interpreter::Flow Interpreter::exec_with(const Stmt& stmt, Scope& scope) {
  Scope inner(&scope);
  for (const auto& [target, expr] : stmt.assigns) {
    Value value = eval(*expr, scope);
    try {
      bind(target, value, inner);
    } catch (const RenderFail& f) {
      error_at(stmt.offset, f.message);
    }
  }
  return exec_body(stmt.body, inner);
}

Interpreter::Flow Interpreter::exec_generation(const Stmt& stmt, Scope& scope) {
  Scope inner(&scope);
  bool at_root = out_ == root_out_;
  std::size_t begin = out_->size();
  std::string text = capture(stmt.body, inner);
  write(text);
  if (at_root) spans_->emplace_back(begin, out_->size());
  return Flow::Normal;
}

void Interpreter::exec_macro(const Stmt& stmt, Scope& scope) {
  auto fn = std::make_shared<Callable>();
  fn->name = stmt.text;
  fn->is_macro = true;
  Scope* definition = &scope;
  const Stmt* macro = &stmt;
  std::shared_ptr<bool> alive = scope.liveness();
  fn->call = [this, macro, definition, alive](Interpreter&, CallArgs& args) {
    if (!*alive) fail("macro '" + macro->text + "' is called after the block that defined it ended (not supported)");
    return call_macro(*macro, definition, args);
  };
  scope.set(stmt.target.names[0].second, Value::callable(std::move(fn)));
}

Value Interpreter::call_macro(const Stmt& macro, Scope* definition, CallArgs& args) {
  if (args.positional.size() > macro.params.size())
    fail("macro '" + macro.text + "' takes not more than " + std::to_string(macro.params.size()) + " argument(s)");
  CallDepth call_depth(*this);
  Scope scope(definition);
  Value caller;
  for (const auto& [key, value] : args.keyword) {
    bool known = key == "caller";
    for (const auto& p : macro.params) known = known || p.name == key;
    if (!known) fail("macro '" + macro.text + "' takes no keyword argument '" + key + "'");
    if (key == "caller") caller = value;
  }
  if (!caller.is_undefined()) scope.set(caller_slot_, caller);
  for (std::size_t k = 0; k < macro.params.size(); ++k) {
    const auto& param = macro.params[k];
    const Value* given = args.get(k, param.name.c_str());
    if (given) {
      scope.set(param.slot, *given);
    } else if (param.default_value) {
      scope.set(param.slot, eval(*param.default_value, scope));
    } else {
      scope.set(param.slot, Value::undefined("parameter '" + param.name + "' was not provided"));
    }
  }
  std::string text = capture(macro.body, scope);
  return Value::string(std::move(text));
}

void Interpreter::exec_call_block(const Stmt& stmt, Scope& scope) {
  auto caller = std::make_shared<Callable>();
  caller->name = "caller";
  caller->is_macro = true;
  const Body* body = &stmt.body;
  Scope* definition = &scope;
  std::shared_ptr<bool> alive = scope.liveness();
  caller->call = [this, body, definition, alive](Interpreter&, CallArgs&) {
    if (!*alive) fail("caller() is called after its call block ended (not supported)");
    CallDepth call_depth(*this);  // a caller stored away can call itself without any macro call
    Scope inner(definition);
    return Value::string(capture(*body, inner));
  };
  const Expr& call = *stmt.expr;
  Value fn = eval(*call.args[0], scope);
  CallArgs args;
  eval_args(call, scope, args);
  args.keyword.emplace_back("caller", Value::callable(std::move(caller)));
  try {
    write_value(this->call(fn, args));
  } catch (const RenderFail& f) {
    error_at(stmt.offset, f.message);
  }
}

// ---- expressions ----------------------------------------------------------------------------

Value Interpreter::eval(const Expr& expr, Scope& scope) {
  try {
    Enter enter(*this);
    return eval_inner(expr, scope);
  } catch (const RenderFail& f) {
    error_at(expr.offset, f.message);
  }
}

Value Interpreter::lookup(const Expr& name, Scope& scope) {
  if (const Value* v = scope.find(name.slot)) return *v;
  Value global;
  if (find_global(name.name, global)) return global;
  return Value::undefined("'" + name.name + "' is undefined");
}

Value Interpreter::eval_inner(const Expr& expr, Scope& scope) {
  switch (expr.kind) {
    case ExprKind::Const: return expr.constant;
    case ExprKind::Name: return lookup(expr, scope);
    case ExprKind::List:
    case ExprKind::Tuple: {
      std::vector<Value> items;
      items.reserve(expr.args.size());
      for (const auto& a : expr.args) items.push_back(eval(*a, scope));
      return expr.kind == ExprKind::List ? Value::list(std::move(items)) : Value::tuple(std::move(items));
    }
    case ExprKind::Dict: {
      Value d = Value::dict();
      for (std::size_t k = 0; k + 1 < expr.args.size(); k += 2) {
        Value key = eval(*expr.args[k], scope);
        d.dict_data().set(key, eval(*expr.args[k + 1], scope));
      }
      return d;
    }
    case ExprKind::GetAttr: return getattr(eval(*expr.args[0], scope), expr.name);
    case ExprKind::GetItem: return eval_getitem(expr, scope);
    case ExprKind::Slice: fail("slice outside of a subscript");
    case ExprKind::Call: return eval_call(expr, scope);
    case ExprKind::Filter: return eval_filter(expr, scope);
    case ExprKind::Test: return Value::boolean(eval_test(expr, scope));
    case ExprKind::Not: return Value::boolean(!eval(*expr.args[0], scope).truthy());
    case ExprKind::Neg: return negate(eval(*expr.args[0], scope));
    case ExprKind::Pos: {
      Value v = eval(*expr.args[0], scope);
      if (v.is_undefined()) v.fail_undefined();
      if (!v.is_number()) fail(std::string("bad operand type for unary +: '") + v.type_name() + "'");
      return v.is(Kind::Bool) ? Value::integer(v.as_int()) : v;
    }
    case ExprKind::Binary: return eval_binary(expr, scope);
    case ExprKind::Compare: return eval_compare(expr, scope);
    case ExprKind::And: {
      Value left = eval(*expr.args[0], scope);
      return left.truthy() ? eval(*expr.args[1], scope) : left;
    }
    case ExprKind::Or: {
      Value left = eval(*expr.args[0], scope);
      return left.truthy() ? left : eval(*expr.args[1], scope);
    }
    case ExprKind::CondExpr: {
      if (eval(*expr.args[0], scope).truthy()) return eval(*expr.args[1], scope);
      if (expr.args[2]) return eval(*expr.args[2], scope);
      return Value::undefined("the inline if-expression evaluated to false and no else section was defined.");
    }
    case ExprKind::Concat: {
      std::string out;
      for (const auto& a : expr.args) eval(*a, scope).append_str(out);  // within max_string_bytes
      return Value::string(std::move(out));
    }
  }
  fail("unsupported expression");
}

Value Interpreter::eval_binary(const Expr& expr, Scope& scope) {
  Value a = eval(*expr.args[0], scope);
  Value b = eval(*expr.args[1], scope);
  switch (expr.op) {
    case BinOp::Add: return add(a, b);
    case BinOp::Sub: return subtract(a, b);
    case BinOp::Mul: return multiply(a, b);
    case BinOp::Div: return true_divide(a, b);
    case BinOp::FloorDiv: return floor_divide(a, b);
    case BinOp::Mod: return modulo(a, b);
    case BinOp::Pow: return power(a, b);
  }
  fail("unsupported operator");
}

Value Interpreter::eval_compare(const Expr& expr, Scope& scope) {
  Value left = eval(*expr.args[0], scope);
  for (std::size_t k = 0; k < expr.ops.size(); ++k) {
    Value right = eval(*expr.args[k + 1], scope);
    const std::string& op = expr.ops[k];
    bool ok;
    if (op == "==") {
      ok = equals(left, right);
    } else if (op == "!=") {
      ok = !equals(left, right);
    } else if (op == "in") {
      ok = contains(right, left);
    } else if (op == "notin") {
      ok = !contains(right, left);
    } else {
      ok = ordered_compare(left, right, op);
    }
    if (!ok) return Value::boolean(false);
    left = std::move(right);
  }
  return Value::boolean(true);
}

void Interpreter::eval_args(const Expr& expr, Scope& scope, CallArgs& args) {
  args.positional.reserve(expr.args.size() - 1);
  for (std::size_t k = 1; k < expr.args.size(); ++k) args.positional.push_back(eval(*expr.args[k], scope));
  for (const auto& [key, value] : expr.kwargs) args.keyword.emplace_back(key, eval(*value, scope));
}

Value Interpreter::eval_call(const Expr& expr, Scope& scope) {
  const Expr& callee = *expr.args[0];
  CallArgs args;
  if (callee.kind == ExprKind::GetAttr) {
    Value obj = eval(*callee.args[0], scope);
    eval_args(expr, scope, args);
    Value result;
    if (call_method(*this, obj, callee.name, args, result)) return result;
    return call(getattr(obj, callee.name), args);
  }
  Value fn = eval(callee, scope);
  eval_args(expr, scope, args);
  return call(fn, args);
}

Value Interpreter::call(const Value& fn, CallArgs& args) {
  if (fn.is(Kind::Callable)) return fn.fn().call(*this, args);
  if (fn.is_undefined()) fn.fail_undefined();
  fail(std::string("'") + fn.type_name() + "' object is not callable");
}

Value Interpreter::eval_filter(const Expr& expr, Scope& scope) {
  Value input = expr.args[0] ? eval(*expr.args[0], scope) : block_input_;
  if (!expr.filter) fail("No filter named '" + expr.name + "' found.");
  CallArgs args;
  eval_args(expr, scope, args);
  return expr.filter(*this, input, args);
}

bool Interpreter::eval_test(const Expr& expr, Scope& scope) {
  Value input = eval(*expr.args[0], scope);
  if (!expr.test) fail("No test named '" + expr.name + "' found.");
  CallArgs args;
  eval_args(expr, scope, args);
  return expr.test(*this, input, args) != expr.negated;
}

Value Interpreter::eval_getitem(const Expr& expr, Scope& scope) {
  Value obj = eval(*expr.args[0], scope);
  const Expr& key = *expr.args[1];
  if (key.kind == ExprKind::Slice) return slice(obj, key, scope);
  return getitem(obj, eval(key, scope));
}

// ---- attribute and item access --------------------------------------------------------------

namespace {

Value missing_attribute(const Value& obj, const std::string& name) {
  return Value::undefined("'" + obj.object_type_repr() + "' has no attribute '" + name + "'");
}

Value missing_element(const Value& obj, const Value& key) {
  if (key.is(Kind::String)) return missing_attribute(obj, key.str());
  return Value::undefined(obj.object_type_repr() + " has no element " + key.repr());
}

Value loop_attribute(const LoopState& st, const std::string& name, bool& found) {
  found = true;
  std::int64_t n = static_cast<std::int64_t>(st.size());
  std::int64_t i = static_cast<std::int64_t>(st.index0);
  if (name == "index") return Value::integer(i + 1);
  if (name == "index0") return Value::integer(i);
  if (name == "revindex") return Value::integer(n - i);
  if (name == "revindex0") return Value::integer(n - i - 1);
  if (name == "first") return Value::boolean(i == 0);
  if (name == "last") return Value::boolean(i == n - 1);
  if (name == "length") return Value::integer(n);
  if (name == "depth") return Value::integer(1);
  if (name == "depth0") return Value::integer(0);
  if (name == "previtem")
    return i > 0 ? st.items.items()[st.index0 - 1] : Value::undefined("there is no previous item");
  if (name == "nextitem")
    return i + 1 < n ? st.items.items()[st.index0 + 1] : Value::undefined("there is no next item");
  found = false;
  return Value();
}

}  // namespace

Value Interpreter::getattr(const Value& obj, const std::string& name) {
  Value method;
  switch (obj.kind()) {
    case Kind::Undefined: obj.fail_undefined();
    case Kind::Dict: {
      if (find_method(obj, name, method)) return method;
      if (const Value* v = obj.dict_data().find(name)) return *v;
      return missing_attribute(obj, name);
    }
    case Kind::Namespace: {
      if (const Value* v = obj.dict_data().find(name)) return *v;
      return missing_attribute(obj, name);
    }
    case Kind::Loop: {
      bool found = false;
      Value v = loop_attribute(obj.loop_state(), name, found);
      if (found) return v;
      if (find_method(obj, name, method)) return method;
      return missing_attribute(obj, name);
    }
    default:
      if (find_method(obj, name, method)) return method;
      return missing_attribute(obj, name);
  }
}

Value Interpreter::getitem(const Value& obj, const Value& key) {
  switch (obj.kind()) {
    case Kind::Undefined: obj.fail_undefined();
    case Kind::Dict: {
      if (const Value* v = obj.dict_data().find(key)) return *v;
      break;
    }
    case Kind::List:
    case Kind::Tuple:
    case Kind::String: {
      if (!key.is(Kind::Int) && !key.is(Kind::Bool)) break;
      std::int64_t n = length(obj);
      std::int64_t i = key.as_int();
      if (i < 0) i += n;
      if (i < 0 || i >= n) return missing_element(obj, key);
      if (!obj.is(Kind::String)) return obj.items()[static_cast<std::size_t>(i)];
      const std::string& s = obj.str();
      std::size_t pos = 0;
      if (unicode::is_ascii(s)) return Value::string(s.substr(static_cast<std::size_t>(i), 1));
      for (std::int64_t k = 0; k < i; ++k) unicode::next(s, pos);
      std::size_t start = pos;
      unicode::next(s, pos);
      return Value::string(s.substr(start, pos - start));
    }
    default: break;
  }
  if (key.is(Kind::String)) return getattr(obj, key.str());
  return missing_element(obj, key);
}

std::vector<std::size_t> slice_indices(std::int64_t length, const Value& start_v, const Value& stop_v,
                                       const Value& step_v) {
  auto as_index = [](const Value& v, const char* what) -> std::int64_t {
    if (v.is(Kind::Int) || v.is(Kind::Bool)) return v.as_int();
    (void)what;
    fail("slice indices must be integers or None or have an __index__ method");
  };
  std::int64_t step = step_v.is(Kind::None) ? 1 : as_index(step_v, "step");
  if (step == 0) fail("slice step cannot be zero");
  std::int64_t start, stop;
  if (start_v.is(Kind::None)) {
    start = step < 0 ? length - 1 : 0;
  } else {
    start = as_index(start_v, "start");
    if (start < 0) start = std::max<std::int64_t>(start + length, step < 0 ? -1 : 0);
    if (start >= length) start = step < 0 ? length - 1 : length;
  }
  if (stop_v.is(Kind::None)) {
    stop = step < 0 ? -1 : length;
  } else {
    stop = as_index(stop_v, "stop");
    if (stop < 0) stop = std::max<std::int64_t>(stop + length, step < 0 ? -1 : 0);
    if (stop >= length) stop = step < 0 ? length - 1 : length;
  }
  std::vector<std::size_t> out;
  // k + step can overflow for a huge step (`s[2::2**63-1]`); past the end then anyway.
  if (step > 0) {
    for (std::int64_t k = start; k < stop;) {
      out.push_back(static_cast<std::size_t>(k));
      if (__builtin_add_overflow(k, step, &k)) break;
    }
  } else {
    for (std::int64_t k = start; k > stop;) {
      out.push_back(static_cast<std::size_t>(k));
      if (__builtin_add_overflow(k, step, &k)) break;
    }
  }
  return out;
}

Value Interpreter::slice(const Value& obj, const Expr& expr, Scope& scope) {
  Value parts[3] = {Value::none(), Value::none(), Value::none()};
  std::size_t next = 0;
  for (int k = 0; k < 3; ++k)
    if (expr.has_slice_part[k]) parts[k] = eval(*expr.args[next++], scope);
  if (obj.is_undefined()) obj.fail_undefined();
  if (obj.is(Kind::String)) {
    std::vector<char32_t> cps = unicode::decode(obj.str());
    std::string out;
    for (std::size_t k : slice_indices(static_cast<std::int64_t>(cps.size()), parts[0], parts[1], parts[2]))
      unicode::append(out, cps[k]);
    return Value::string(std::move(out));
  }
  if (obj.is_sequence()) {
    const auto& items = obj.items();
    std::vector<Value> out;
    for (std::size_t k : slice_indices(static_cast<std::int64_t>(items.size()), parts[0], parts[1], parts[2]))
      out.push_back(items[k]);
    return obj.is(Kind::Tuple) ? Value::tuple(std::move(out)) : Value::list(std::move(out));
  }
  if (obj.is(Kind::Dict)) fail("unhashable type: 'slice'");
  return Value::undefined(obj.object_type_repr() + " has no element slice(...)");
}

}  // namespace ftcore::tmpl
