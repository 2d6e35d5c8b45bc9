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

namespace ftcore::tmpl {

/// A failure inside a value operation; the renderer adds the template location.
struct RenderFail {
  std::string message;
};
[[noreturn]] void fail(std::string message);

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

  /// Raises the error an operation on this undefined raises in jinja2.
  [[noreturn]] void fail_undefined() const;

  /// Python truthiness.
  bool truthy() const;
  /// Python str(); undefined prints "".
  std::string to_str() const;
  void append_str(std::string& out) const;
  /// Python repr().
  std::string repr() const;
  void append_repr(std::string& out) const;
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
};

/// Insertion-ordered Python dict (keys hashed like Python: 1 == 1.0 == True).
struct Dict {
  std::vector<std::pair<Value, Value>> items;
  std::unordered_map<std::string, std::size_t> index;
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
