// Runtime values of the template engine, modelled on the Python objects jinja2 works with.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "template/jinja.hpp"

namespace ftcore::tmpl {

/// A failure inside a value operation; the renderer adds the template location.
struct RenderFail {
  std::string message;
};
[[noreturn]] void fail(std::string message);

class Value;

/// What one render may still spend (Limits), consulted by value operations on the rendering thread.
struct Budget {
  const Limits* limits = nullptr;
  std::uint64_t steps = 0;
  /// Every namespace the render created, kept alive until it ends: a namespace is the only value
  /// that changes after it is made, so it can hold itself (a cycle) or chains whose depth was not
  /// known when they were built; the render's end clears them all, so none is freed recursively.
  std::vector<Value> namespaces;
};

/// Makes `budget` the one of this thread while it lives (the previous one is restored after).
class BudgetScope {
 public:
  explicit BudgetScope(Budget& budget);
  ~BudgetScope();
  BudgetScope(const BudgetScope&) = delete;
  BudgetScope& operator=(const BudgetScope&) = delete;

 private:
  Budget* saved_;
};

/// The limits of the render on this thread (the defaults outside a render: parsing).
const Limits& active_limits();
/// Adds steps to this thread's render; fails once it has used more than Limits::max_steps.
void charge(std::uint64_t steps);
/// The error of a render that ran out of steps.
std::string step_budget_message(const Limits& limits);
/// Charges the work of producing or scanning `n` bytes (1 step per 16) or items (1 step each), so
/// that the step budget also bounds what a render can allocate in all (some 300 MB of strings or
/// 20M list items at the default).
inline void charge_bytes(std::size_t n) {
  if (n >= 16) charge(n / 16);
}
inline void charge_items(std::size_t n) {
  if (n) charge(n);
}
/// Fail before a string of `bytes` bytes / a list of `items` items is built when it would exceed
/// Limits::max_string_bytes / max_list_items; `what` names the operation ("'*'", "join", ...).
void check_string_size(std::size_t bytes, const char* what);
void check_list_size(std::size_t items, const char* what);
/// a * b and a + b for sizes, saturating at SIZE_MAX (for the checks above).
std::size_t size_mul(std::size_t a, std::size_t b);
std::size_t size_add(std::size_t a, std::size_t b);
/// Checked 64-bit arithmetic: fails "integer overflow: <a> <op> <b> does not fit in 64 bits".
std::int64_t checked_add(std::int64_t a, std::int64_t b);
std::int64_t checked_sub(std::int64_t a, std::int64_t b);
std::int64_t checked_mul(std::int64_t a, std::int64_t b);
/// Python int(f) of a finite float; fails when it does not fit in 64 bits.
std::int64_t float_to_int(double f);
/// Fails when a value nesting of `depth` levels exceeds Limits::max_value_depth.
void check_value_depth(std::size_t depth);

enum class Kind : std::uint8_t {
  Undefined, None, Bool, Int, Float, String, List, Tuple, Dict, Namespace, Callable, Loop,
  Generator  // what map/select/unique/items/reverse return in jinja2: iterable once, always true, no len
};

struct List;
struct Dict;
struct Callable;
struct LoopState;

/// One Python-like value. Containers are shared (copying a Value never copies a list).
class Value {
 public:
  Value() = default;  // undefined without a message (internal use)
  static Value undefined(std::string message, bool security = false);
  static Value none();
  static Value boolean(bool b);
  static Value integer(std::int64_t i);
  static Value floating(double f);
  static Value string(std::string s);
  static Value list(std::vector<Value> items = {});
  static Value tuple(std::vector<Value> items);
  static Value generator(std::vector<Value> items);
  static Value dict();
  static Value namespace_();
  static Value callable(std::shared_ptr<Callable> fn);
  static Value loop(std::shared_ptr<LoopState> state);
  static Value from_json(const nlohmann::ordered_json& j);

  Kind kind() const { return kind_; }
  bool is(Kind k) const { return kind_ == k; }
  bool is_undefined() const { return kind_ == Kind::Undefined; }
  bool is_number() const { return kind_ == Kind::Int || kind_ == Kind::Float || kind_ == Kind::Bool; }
  bool is_sequence() const { return kind_ == Kind::List || kind_ == Kind::Tuple; }
  bool is_mapping() const { return kind_ == Kind::Dict; }

  bool as_bool() const { return b_; }
  std::int64_t as_int() const { return kind_ == Kind::Bool ? (b_ ? 1 : 0) : i_; }
  double as_float() const;
  const std::string& str() const { return *std::static_pointer_cast<const std::string>(p_); }
  const std::vector<Value>& items() const;
  std::vector<Value>& mutable_items() const;
  Dict& dict_data() const { return *std::static_pointer_cast<Dict>(p_); }
  Callable& fn() const { return *std::static_pointer_cast<Callable>(p_); }
  LoopState& loop_state() const { return *std::static_pointer_cast<LoopState>(p_); }
  /// The UndefinedError message ("'x' is undefined").
  const std::string& undefined_message() const;
  bool undefined_is_security() const;
  const void* identity() const { return p_.get(); }
  /// Nesting depth: 0 for scalars, 1 + the deepest item for containers (as built; a namespace
  /// changed later may be deeper, which the traversals check as they go).
  std::size_t depth() const;

  /// Raises the error an operation on this undefined raises in jinja2.
  [[noreturn]] void fail_undefined() const;

  /// Python truthiness.
  bool truthy() const;
  /// Python str(); undefined prints "".
  std::string to_str() const;
  void append_str(std::string& out) const;
  /// Python repr().
  std::string repr() const;
  /// Fails when the text would exceed Limits::max_string_bytes or nest deeper than max_value_depth.
  void append_repr(std::string& out, std::size_t level = 0) const;
  /// Python type name (str, int, list, dict, NoneType, ...).
  const char* type_name() const;
  /// jinja2 object_type_repr: "dict object", "None", ...
  std::string object_type_repr() const;

 private:
  Kind kind_ = Kind::Undefined;
  union {
    bool b_;
    std::int64_t i_ = 0;
    double f_;
  };
  std::shared_ptr<void> p_;
};

struct List {
  std::vector<Value> items;
  std::size_t depth = 1;
};

/// Insertion-ordered Python dict (keys hashed like Python: 1 == 1.0 == True).
struct Dict {
  std::vector<std::pair<Value, Value>> items;
  std::unordered_map<std::string, std::size_t> index;
  std::size_t depth = 1;
  const Value* find(const Value& key) const;
  const Value* find(const std::string& key) const;
  void set(const Value& key, Value value);
};
/// The hash-map key of a Python dict key; fails for unhashable values.
std::string dict_key(const Value& key);

struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;
  /// Positional `index` or keyword `name`, else nullptr.
  const Value* get(std::size_t index, const char* name) const;
  void check_max(std::size_t count, const char* what) const;
};

class Interpreter;
struct Callable {
  std::string name;
  bool is_macro = false;
  std::size_t depth = 1;  // 1 + the depth of a value it holds (a bound method's object)
  std::function<Value(Interpreter&, CallArgs&)> call;
};

/// What `loop` exposes inside a for loop.
struct LoopState {
  Value items;  // the (filtered) list being iterated
  std::size_t index0 = 0;
  std::size_t size() const { return items.items().size(); }
};

// Operators with Python semantics (throw RenderFail on type errors).
bool equals(const Value& a, const Value& b);
/// Python `<`, `<=`, `>`, `>=` (op is one of those strings).
bool ordered_compare(const Value& a, const Value& b, const std::string& op);
bool contains(const Value& container, const Value& item);
Value add(const Value& a, const Value& b);
Value subtract(const Value& a, const Value& b);
Value multiply(const Value& a, const Value& b);
Value true_divide(const Value& a, const Value& b);
Value floor_divide(const Value& a, const Value& b);
Value modulo(const Value& a, const Value& b);
Value power(const Value& a, const Value& b);
Value negate(const Value& a);

/// Iterates like Python's iter(): returns a list/tuple (the same one for lists and tuples), dict keys,
/// string characters; undefined is empty.
Value iterate(const Value& v);
/// len(); fails like Python for objects without a length.
std::int64_t length(const Value& v);

/// Python float repr ("1.0", "0.1", "1e-05", "inf", "nan").
std::string format_float(double d);

struct JsonOptions {
  bool ensure_ascii = false;
  bool has_indent = false;
  std::string indent;
  std::string item_separator = ", ";
  std::string key_separator = ": ";
  bool sort_keys = false;
};
/// Python json.dumps with these options.
std::string to_json(const Value& v, const JsonOptions& options);

}  // namespace ftcore::tmpl
