#include "template/value.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "template/unicode.hpp"

namespace ftcore::tmpl {

void fail(std::string message) { throw RenderFail{std::move(message)}; }

// ---- limits ---------------------------------------------------------------------------------

namespace {

thread_local Budget* t_budget = nullptr;

constexpr Limits kDefaultLimits{};

/// This thread's budget's limits (the defaults outside a render), with one thread-local access.
inline const Limits& limits_of(const Budget* budget) {
  return budget && budget->limits ? *budget->limits : kDefaultLimits;
}

}  // namespace

BudgetScope::BudgetScope(Budget& budget) : saved_(t_budget) { t_budget = &budget; }
BudgetScope::~BudgetScope() { t_budget = saved_; }

const Limits& active_limits() { return limits_of(t_budget); }

void charge(std::uint64_t steps) {
  Budget* budget = t_budget;
  if (!budget || !budget->limits) return;
  budget->steps += steps;
  if (budget->steps > budget->limits->max_steps) fail(step_budget_message(*budget->limits));
}

std::string step_budget_message(const Limits& limits) {
  return "render step budget exhausted: more than " + std::to_string(limits.max_steps) +
         " evaluation steps (Limits::max_steps); the template loops too much";
}

void check_string_size(std::size_t bytes, const char* what) {
  std::size_t limit = active_limits().max_string_bytes;
  if (bytes > limit)
    fail(std::string("string too long: ") + what + " would make a string of " +
         (bytes == SIZE_MAX ? std::string("more than 2**64") : std::to_string(bytes)) +
         " bytes, more than the limit of " + std::to_string(limit) + " (Limits::max_string_bytes)");
}

void check_list_size(std::size_t items, const char* what) {
  std::size_t limit = active_limits().max_list_items;
  if (items > limit)
    fail(std::string("list too long: ") + what + " would make a list of " +
         (items == SIZE_MAX ? std::string("more than 2**64") : std::to_string(items)) +
         " items, more than the limit of " + std::to_string(limit) + " (Limits::max_list_items)");
}

void check_value_depth(std::size_t depth) {
  std::size_t limit = active_limits().max_value_depth;
  if (depth > limit)
    fail("value nested too deeply: lists and dicts nest more than " + std::to_string(limit) +
         " levels deep (Limits::max_value_depth)");
}

std::size_t size_mul(std::size_t a, std::size_t b) {
  std::size_t r;
  return __builtin_mul_overflow(a, b, &r) ? SIZE_MAX : r;
}

std::size_t size_add(std::size_t a, std::size_t b) {
  std::size_t r;
  return __builtin_add_overflow(a, b, &r) ? SIZE_MAX : r;
}

namespace {

[[noreturn]] void overflow(std::int64_t a, const char* op, std::int64_t b) {
  fail("integer overflow: " + std::to_string(a) + " " + op + " " + std::to_string(b) + " does not fit in 64 bits");
}

}  // namespace

std::int64_t checked_add(std::int64_t a, std::int64_t b) {
  std::int64_t r;
  if (__builtin_add_overflow(a, b, &r)) overflow(a, "+", b);
  return r;
}

std::int64_t checked_sub(std::int64_t a, std::int64_t b) {
  std::int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) overflow(a, "-", b);
  return r;
}

std::int64_t checked_mul(std::int64_t a, std::int64_t b) {
  std::int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) overflow(a, "*", b);
  return r;
}

std::int64_t float_to_int(double f) {
  double t = std::trunc(f);
  // [-2**63, 2**63) holds exactly the doubles that convert without overflow.
  if (!(t >= -9223372036854775808.0 && t < 9223372036854775808.0))
    fail("integer overflow: int(" + format_float(f) + ") does not fit in 64 bits");
  return static_cast<std::int64_t>(t);
}

namespace {

struct UndefinedInfo {
  std::string message;
  bool security = false;
};

const std::string& empty_string() {
  static const std::string empty;
  return empty;
}

}  // namespace

// ---- construction ---------------------------------------------------------------------------

Value Value::undefined(std::string message, bool security) {
  Value v;
  v.p_ = std::make_shared<UndefinedInfo>(UndefinedInfo{std::move(message), security});
  return v;
}
Value Value::none() {
  Value v;
  v.kind_ = Kind::None;
  return v;
}
Value Value::boolean(bool b) {
  Value v;
  v.kind_ = Kind::Bool;
  v.b_ = b;
  return v;
}
Value Value::integer(std::int64_t i) {
  Value v;
  v.kind_ = Kind::Int;
  v.i_ = i;
  return v;
}
Value Value::floating(double f) {
  Value v;
  v.kind_ = Kind::Float;
  v.f_ = f;
  return v;
}
Value Value::string(std::string s) {
  const Budget* budget = t_budget;
  if (s.size() > limits_of(budget).max_string_bytes) check_string_size(s.size(), "an operation");
  if (budget && s.size() >= 16) charge(s.size() / 16);
  Value v;
  v.kind_ = Kind::String;
  v.p_ = std::make_shared<std::string>(std::move(s));
  return v;
}
Value Value::list(std::vector<Value> items) {
  const Budget* budget = t_budget;
  const Limits& limits = limits_of(budget);
  if (items.size() > limits.max_list_items) check_list_size(items.size(), "an operation");
  if (budget && !items.empty()) charge(items.size());
  std::size_t deepest = 0;
  for (const auto& item : items)
    if (item.p_) deepest = std::max(deepest, item.depth());
  if (deepest + 1 > limits.max_value_depth) check_value_depth(deepest + 1);
  Value v;
  v.kind_ = Kind::List;
  v.p_ = std::make_shared<List>(List{std::move(items), deepest + 1});
  return v;
}
Value Value::tuple(std::vector<Value> items) {
  Value v = list(std::move(items));
  v.kind_ = Kind::Tuple;
  return v;
}
Value Value::generator(std::vector<Value> items) {
  Value v = list(std::move(items));
  v.kind_ = Kind::Generator;
  return v;
}
Value Value::dict() {
  Value v;
  v.kind_ = Kind::Dict;
  v.p_ = std::make_shared<Dict>();
  return v;
}
Value Value::namespace_() {
  Value v = dict();
  v.kind_ = Kind::Namespace;
  if (t_budget) t_budget->namespaces.push_back(v);
  return v;
}
Value Value::callable(std::shared_ptr<Callable> fn) {
  check_value_depth(fn->depth);
  Value v;
  v.kind_ = Kind::Callable;
  v.p_ = std::move(fn);
  return v;
}
Value Value::loop(std::shared_ptr<LoopState> state) {
  Value v;
  v.kind_ = Kind::Loop;
  v.p_ = std::move(state);
  return v;
}

namespace {

Value from_json_at(const nlohmann::ordered_json& j, std::size_t level);

}  // namespace

Value Value::from_json(const nlohmann::ordered_json& j) { return from_json_at(j, 0); }

namespace {

Value from_json_at(const nlohmann::ordered_json& j, std::size_t level) {
  using J = nlohmann::ordered_json;
  using V = Value;
  switch (j.type()) {
    case J::value_t::null: return V::none();
    case J::value_t::boolean: return V::boolean(j.get<bool>());
    case J::value_t::number_integer: return V::integer(j.get<std::int64_t>());
    case J::value_t::number_unsigned: {
      auto u = j.get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(INT64_MAX)) return V::floating(static_cast<double>(u));
      return V::integer(static_cast<std::int64_t>(u));
    }
    case J::value_t::number_float: return V::floating(j.get<double>());
    case J::value_t::string: return V::string(j.get<std::string>());
    case J::value_t::array: {
      check_value_depth(level + 1);  // before recursing: deep JSON must not exhaust the stack
      check_list_size(j.size(), "a JSON array");
      std::vector<Value> items;
      items.reserve(j.size());
      for (const auto& e : j) items.push_back(from_json_at(e, level + 1));
      return V::list(std::move(items));
    }
    case J::value_t::object: {
      check_value_depth(level + 1);
      Value d = V::dict();
      auto& data = d.dict_data();
      data.items.reserve(j.size());
      for (auto it = j.begin(); it != j.end(); ++it) data.set(V::string(it.key()), from_json_at(it.value(), level + 1));
      return d;
    }
    default: return V::none();
  }
}

}  // namespace

// ---- accessors ------------------------------------------------------------------------------

double Value::as_float() const {
  switch (kind_) {
    case Kind::Float: return f_;
    case Kind::Int: return static_cast<double>(i_);
    case Kind::Bool: return b_ ? 1.0 : 0.0;
    default: return 0.0;
  }
}

std::size_t Value::depth() const {
  switch (kind_) {
    case Kind::List: case Kind::Tuple: case Kind::Generator: return std::static_pointer_cast<List>(p_)->depth;
    case Kind::Dict: case Kind::Namespace: return dict_data().depth;
    case Kind::Callable: return fn().depth;
    case Kind::Loop: return 1 + loop_state().items.depth();
    default: return 0;
  }
}

const std::vector<Value>& Value::items() const { return std::static_pointer_cast<List>(p_)->items; }
std::vector<Value>& Value::mutable_items() const { return std::static_pointer_cast<List>(p_)->items; }

const std::string& Value::undefined_message() const {
  if (!p_) return empty_string();
  return std::static_pointer_cast<UndefinedInfo>(p_)->message;
}
bool Value::undefined_is_security() const {
  return p_ && std::static_pointer_cast<UndefinedInfo>(p_)->security;
}
void Value::fail_undefined() const { fail(undefined_message()); }

bool Value::truthy() const {
  switch (kind_) {
    case Kind::Undefined: case Kind::None: return false;
    case Kind::Bool: return b_;
    case Kind::Int: return i_ != 0;
    case Kind::Float: return f_ != 0.0;
    case Kind::String: return !str().empty();
    case Kind::List: case Kind::Tuple: return !items().empty();
    case Kind::Dict: return !dict_data().items.empty();
    default: return true;
  }
}

const char* Value::type_name() const {
  switch (kind_) {
    case Kind::Undefined: return "Undefined";
    case Kind::None: return "NoneType";
    case Kind::Bool: return "bool";
    case Kind::Int: return "int";
    case Kind::Float: return "float";
    case Kind::String: return "str";
    case Kind::List: return "list";
    case Kind::Tuple: return "tuple";
    case Kind::Dict: return "dict";
    case Kind::Namespace: return "Namespace";
    case Kind::Callable: return fn().is_macro ? "Macro" : "builtin_function_or_method";
    case Kind::Loop: return "LoopContext";
    case Kind::Generator: return "generator";
  }
  return "object";
}

std::string Value::object_type_repr() const {
  if (kind_ == Kind::None) return "None";
  switch (kind_) {
    case Kind::Undefined: return "jinja2.runtime.Undefined object";
    case Kind::Namespace: return "jinja2.utils.Namespace object";
    case Kind::Loop: return "jinja2.runtime.LoopContext object";
    case Kind::Callable:
      if (fn().is_macro) return "jinja2.runtime.Macro object";
      break;
    default: break;
  }
  return std::string(type_name()) + " object";
}

// ---- printing -------------------------------------------------------------------------------

std::string format_float(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
  char buf[64];
  auto result = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string sci(buf, result.ptr);
  std::string out;
  std::size_t pos = 0;
  if (sci[0] == '-') {
    out += '-';
    pos = 1;
  }
  std::size_t e = sci.find('e');
  std::string digits;
  for (std::size_t k = pos; k < e; ++k)
    if (sci[k] != '.') digits += sci[k];
  int exponent = std::atoi(sci.c_str() + e + 1);
  if (exponent >= -4 && exponent < 16) {
    if (exponent >= 0) {
      std::size_t int_len = static_cast<std::size_t>(exponent) + 1;
      if (digits.size() < int_len) digits.append(int_len - digits.size(), '0');
      out += digits.substr(0, int_len);
      out += '.';
      out += digits.size() > int_len ? digits.substr(int_len) : "0";
    } else {
      out += "0.";
      out.append(static_cast<std::size_t>(-exponent - 1), '0');
      out += digits;
    }
    return out;
  }
  out += digits[0];
  if (digits.size() > 1) out += "." + digits.substr(1);
  char exp_buf[16];
  std::snprintf(exp_buf, sizeof exp_buf, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
  return out + exp_buf;
}

namespace {

void append_hex(std::string& out, const char* prefix, unsigned value, int width) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%s%0*x", prefix, width, value);
  out += buf;
}

void append_string_repr(std::string& out, const std::string& s) {
  bool has_single = s.find('\'') != std::string::npos;
  bool has_double = s.find('"') != std::string::npos;
  char quote = has_single && !has_double ? '"' : '\'';
  out += quote;
  for (std::size_t pos = 0; pos < s.size();) {
    std::size_t start = pos;
    char32_t cp = unicode::next(s, pos);
    if (cp == static_cast<char32_t>(quote) || cp == '\\') {
      out += '\\';
      out += static_cast<char>(cp);
    } else if (cp == '\t') {
      out += "\\t";
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp < 0x20 || cp == 0x7F) {
      append_hex(out, "\\x", cp, 2);
    } else if (cp < 0x7F || unicode::is_printable(cp)) {
      out.append(s, start, pos - start);
    } else if (cp <= 0xFF) {
      append_hex(out, "\\x", cp, 2);
    } else if (cp <= 0xFFFF) {
      append_hex(out, "\\u", cp, 4);
    } else {
      append_hex(out, "\\U", cp, 8);
    }
  }
  out += quote;
}

}  // namespace

void Value::append_str(std::string& out) const {
  switch (kind_) {
    case Kind::Undefined: return;
    case Kind::String:
      check_string_size(size_add(out.size(), str().size()), "concatenating strings");
      out += str();
      return;
    default: append_repr(out);
  }
}

std::string Value::to_str() const {
  if (kind_ == Kind::String) return str();
  std::string out;
  append_str(out);
  return out;
}

void Value::append_repr(std::string& out, std::size_t level) const {
  check_string_size(out.size(), "str() / repr()");
  check_value_depth(level);  // a namespace changed after it was built may be deeper than depth()
  switch (kind_) {
    case Kind::Undefined: out += "Undefined"; return;
    case Kind::None: out += "None"; return;
    case Kind::Bool: out += b_ ? "True" : "False"; return;
    case Kind::Int: out += std::to_string(i_); return;
    case Kind::Float: out += format_float(f_); return;
    case Kind::String:
      check_string_size(size_add(out.size(), str().size()), "str() / repr()");
      append_string_repr(out, str());
      return;
    case Kind::List:
    case Kind::Tuple: {
      bool tuple = kind_ == Kind::Tuple;
      out += tuple ? '(' : '[';
      const auto& xs = items();
      for (std::size_t k = 0; k < xs.size(); ++k) {
        if (k) out += ", ";
        xs[k].append_repr(out, level + 1);
      }
      if (tuple && xs.size() == 1) out += ',';
      out += tuple ? ')' : ']';
      return;
    }
    case Kind::Dict:
    case Kind::Namespace: {
      // A namespace can hold itself; Python prints the inner one as "<Namespace {...}>".
      thread_local std::vector<const void*> printing;
      if (kind_ == Kind::Namespace) {
        if (std::find(printing.begin(), printing.end(), identity()) != printing.end()) {
          out += "<Namespace {...}>";
          return;
        }
        out += "<Namespace ";
      }
      struct Mark {
        std::vector<const void*>* stack;
        ~Mark() {
          if (stack) stack->pop_back();
        }
      } mark{kind_ == Kind::Namespace ? &printing : nullptr};
      if (mark.stack) mark.stack->push_back(identity());
      out += '{';
      bool first = true;
      for (const auto& [k, v] : dict_data().items) {
        if (!first) out += ", ";
        first = false;
        k.append_repr(out, level + 1);
        out += ": ";
        v.append_repr(out, level + 1);
      }
      out += '}';
      if (kind_ == Kind::Namespace) out += '>';
      return;
    }
    case Kind::Callable:
      out += fn().is_macro ? "<Macro '" + fn().name + "'>" : "<built-in function " + fn().name + ">";
      return;
    case Kind::Generator: out += "<generator object>"; return;
    case Kind::Loop: {
      const auto& st = loop_state();
      out += "<LoopContext " + std::to_string(st.index0 + 1) + "/" + std::to_string(st.size()) + ">";
      return;
    }
  }
}

std::string Value::repr() const {
  std::string out;
  append_repr(out);
  return out;
}

// ---- dict -----------------------------------------------------------------------------------

std::string dict_key(const Value& key) {
  switch (key.kind()) {
    case Kind::String: return "s" + key.str();
    case Kind::None: return "n";
    case Kind::Bool:
    case Kind::Int: return "i" + std::to_string(key.as_int());
    case Kind::Float: {
      double f = key.as_float();
      if (std::floor(f) == f && std::fabs(f) < 9e18) return "i" + std::to_string(static_cast<std::int64_t>(f));
      return "f" + format_float(f);
    }
    case Kind::Tuple: {
      std::string out = "t(";
      for (const auto& x : key.items()) out += dict_key(x) + ",";
      return out + ")";
    }
    case Kind::Undefined: return "u";
    default: fail(std::string("unhashable type: '") + key.type_name() + "'");
  }
}

const Value* Dict::find(const Value& key) const {
  auto it = index.find(dict_key(key));
  return it == index.end() ? nullptr : &items[it->second].second;
}

const Value* Dict::find(const std::string& key) const {
  auto it = index.find("s" + key);
  return it == index.end() ? nullptr : &items[it->second].second;
}

void Dict::set(const Value& key, Value value) {
  std::size_t d = 1 + std::max(key.depth(), value.depth());
  if (d > depth) {
    check_value_depth(d);
    depth = d;
  }
  auto [it, inserted] = index.emplace(dict_key(key), items.size());
  if (inserted) {
    items.emplace_back(key, std::move(value));
  } else {
    items[it->second].second = std::move(value);
  }
}

const Value* CallArgs::get(std::size_t index, const char* name) const {
  if (index < positional.size()) return &positional[index];
  for (const auto& [k, v] : keyword)
    if (k == name) return &v;
  return nullptr;
}

void CallArgs::check_max(std::size_t count, const char* what) const {
  if (positional.size() > count)
    fail(std::string(what) + "() takes at most " + std::to_string(count) + " argument" + (count == 1 ? "" : "s") +
         " (" + std::to_string(positional.size()) + " given)");
}

// ---- comparisons ----------------------------------------------------------------------------

namespace {

bool equals_at(const Value& a, const Value& b, std::size_t level);

}  // namespace

bool equals(const Value& a, const Value& b) { return equals_at(a, b, 0); }

namespace {

bool equals_at(const Value& a, const Value& b, std::size_t level) {
  if (a.is_undefined() || b.is_undefined()) return a.is_undefined() && b.is_undefined();
  if (a.is_number() && b.is_number()) {
    if (a.is(Kind::Float) || b.is(Kind::Float)) return a.as_float() == b.as_float();
    return a.as_int() == b.as_int();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::None: return true;
    case Kind::String:
      if (a.str().size() == b.str().size()) charge_bytes(a.str().size());
      return a.str() == b.str();
    case Kind::List:
    case Kind::Tuple: {
      const auto& x = a.items();
      const auto& y = b.items();
      if (x.size() != y.size()) return false;
      if (a.identity() == b.identity()) return true;
      check_value_depth(level + 1);
      charge_items(x.size());
      for (std::size_t k = 0; k < x.size(); ++k)
        if (!equals_at(x[k], y[k], level + 1)) return false;
      return true;
    }
    case Kind::Dict: {
      const auto& x = a.dict_data();
      const auto& y = b.dict_data();
      if (x.items.size() != y.items.size()) return false;
      if (a.identity() == b.identity()) return true;
      check_value_depth(level + 1);
      charge_items(x.items.size());
      for (const auto& [k, v] : x.items) {
        const Value* other = y.find(k);
        if (!other || !equals_at(v, *other, level + 1)) return false;
      }
      return true;
    }
    default: return a.identity() == b.identity();
  }
}

}  // namespace

namespace {

// -1, 0, 1; fails when the types do not order.
int three_way(const Value& a, const Value& b, const std::string& op, std::size_t level = 0) {
  if (a.is_undefined()) a.fail_undefined();
  if (b.is_undefined()) b.fail_undefined();
  if (a.is_number() && b.is_number()) {
    if (a.is(Kind::Float) || b.is(Kind::Float)) {
      double x = a.as_float(), y = b.as_float();
      return x < y ? -1 : (x > y ? 1 : (x == y ? 0 : 2));
    }
    return a.as_int() < b.as_int() ? -1 : (a.as_int() > b.as_int() ? 1 : 0);
  }
  if (a.is(Kind::String) && b.is(Kind::String)) {
    charge_bytes(std::min(a.str().size(), b.str().size()));
    int c = a.str().compare(b.str());
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  if (a.is_sequence() && a.kind() == b.kind()) {
    const auto& x = a.items();
    const auto& y = b.items();
    check_value_depth(level + 1);
    charge_items(std::min(x.size(), y.size()));
    for (std::size_t k = 0; k < x.size() && k < y.size(); ++k) {
      if (equals_at(x[k], y[k], level + 1)) continue;
      return three_way(x[k], y[k], op, level + 1);
    }
    return x.size() < y.size() ? -1 : (x.size() > y.size() ? 1 : 0);
  }
  fail("'" + op + "' not supported between instances of '" + a.type_name() + "' and '" + b.type_name() + "'");
}

}  // namespace

bool ordered_compare(const Value& a, const Value& b, const std::string& op) {
  int c = three_way(a, b, op);
  if (c == 2) return false;  // NaN
  if (op == "<") return c < 0;
  if (op == "<=") return c <= 0;
  if (op == ">") return c > 0;
  return c >= 0;
}

bool contains(const Value& container, const Value& item) {
  switch (container.kind()) {
    case Kind::String:
      if (!item.is(Kind::String))
        fail(std::string("'in <string>' requires string as left operand, not ") + item.type_name());
      return unicode::find(container.str(), item.str()) != std::string::npos;
    case Kind::List:
    case Kind::Tuple:
    case Kind::Generator:
      charge_items(container.items().size());
      for (const auto& x : container.items())
        if (equals(x, item)) return true;
      return false;
    case Kind::Dict: return container.dict_data().find(item) != nullptr;
    case Kind::Undefined: return false;
    default: fail(std::string("argument of type '") + container.type_name() + "' is not iterable");
  }
}

// ---- arithmetic -----------------------------------------------------------------------------

namespace {

[[noreturn]] void unsupported(const char* op, const Value& a, const Value& b) {
  fail(std::string("unsupported operand type(s) for ") + op + ": '" + a.type_name() + "' and '" + b.type_name() + "'");
}

void check_defined(const Value& a, const Value& b) {
  if (a.is_undefined()) a.fail_undefined();
  if (b.is_undefined()) b.fail_undefined();
}

bool both_ints(const Value& a, const Value& b) {
  return !a.is(Kind::Float) && !b.is(Kind::Float);
}

std::int64_t floor_div(std::int64_t x, std::int64_t y) {
  if (y == -1) return checked_mul(x, -1);  // x / -1 traps for INT64_MIN
  std::int64_t q = x / y;
  if ((x % y != 0) && ((x < 0) != (y < 0))) --q;
  return q;
}

Value repeat(const Value& seq, std::int64_t n) {
  if (seq.is(Kind::String)) {
    const std::string& s = seq.str();
    if (n <= 0 || s.empty()) return Value::string("");
    const std::size_t total = size_mul(s.size(), static_cast<std::uint64_t>(n));
    check_string_size(total, "'*'");
    std::string out;
    out.reserve(total);
    out = s;
    while (out.size() * 2 <= total) out += out;  // doubling: O(log n) appends
    out.append(out, 0, total - out.size());
    return Value::string(std::move(out));
  }
  const auto& items = seq.items();
  std::vector<Value> out;
  if (n > 0 && !items.empty()) {
    check_list_size(size_mul(items.size(), static_cast<std::uint64_t>(n)), "'*'");
    out.reserve(items.size() * static_cast<std::size_t>(n));
    for (std::int64_t k = 0; k < n; ++k) out.insert(out.end(), items.begin(), items.end());
  }
  return seq.is(Kind::Tuple) ? Value::tuple(std::move(out)) : Value::list(std::move(out));
}

}  // namespace

Value add(const Value& a, const Value& b) {
  check_defined(a, b);
  if (a.is_number() && b.is_number()) {
    if (both_ints(a, b)) return Value::integer(checked_add(a.as_int(), b.as_int()));
    return Value::floating(a.as_float() + b.as_float());
  }
  if (a.is(Kind::String)) {
    if (!b.is(Kind::String)) fail(std::string("can only concatenate str (not \"") + b.type_name() + "\") to str");
    check_string_size(size_add(a.str().size(), b.str().size()), "'+'");
    return Value::string(a.str() + b.str());
  }
  if (a.is_sequence()) {
    if (b.kind() != a.kind())
      fail(std::string("can only concatenate ") + a.type_name() + " (not \"" + b.type_name() + "\") to " + a.type_name());
    check_list_size(size_add(a.items().size(), b.items().size()), "'+'");
    std::vector<Value> out;
    out.reserve(a.items().size() + b.items().size());
    out.insert(out.end(), a.items().begin(), a.items().end());
    out.insert(out.end(), b.items().begin(), b.items().end());
    return a.is(Kind::Tuple) ? Value::tuple(std::move(out)) : Value::list(std::move(out));
  }
  unsupported("+", a, b);
}

Value subtract(const Value& a, const Value& b) {
  check_defined(a, b);
  if (!a.is_number() || !b.is_number()) unsupported("-", a, b);
  if (both_ints(a, b)) return Value::integer(checked_sub(a.as_int(), b.as_int()));
  return Value::floating(a.as_float() - b.as_float());
}

Value multiply(const Value& a, const Value& b) {
  check_defined(a, b);
  if (a.is_number() && b.is_number()) {
    if (both_ints(a, b)) return Value::integer(checked_mul(a.as_int(), b.as_int()));
    return Value::floating(a.as_float() * b.as_float());
  }
  bool a_seq = a.is(Kind::String) || a.is_sequence();
  bool b_seq = b.is(Kind::String) || b.is_sequence();
  if (a_seq && (b.is(Kind::Int) || b.is(Kind::Bool))) return repeat(a, b.as_int());
  if (b_seq && (a.is(Kind::Int) || a.is(Kind::Bool))) return repeat(b, a.as_int());
  if (a_seq || b_seq)
    fail(std::string("can't multiply sequence by non-int of type '") + (a_seq ? b : a).type_name() + "'");
  unsupported("*", a, b);
}

Value true_divide(const Value& a, const Value& b) {
  check_defined(a, b);
  if (!a.is_number() || !b.is_number()) unsupported("/", a, b);
  if (b.as_float() == 0.0) fail(both_ints(a, b) ? "division by zero" : "float division by zero");
  return Value::floating(a.as_float() / b.as_float());
}

Value floor_divide(const Value& a, const Value& b) {
  check_defined(a, b);
  if (!a.is_number() || !b.is_number()) unsupported("//", a, b);
  if (both_ints(a, b)) {
    if (b.as_int() == 0) fail("integer division or modulo by zero");
    if (a.as_int() == INT64_MIN && b.as_int() == -1) overflow(a.as_int(), "//", -1);
    return Value::integer(floor_div(a.as_int(), b.as_int()));
  }
  if (b.as_float() == 0.0) fail("float floor division by zero");
  return Value::floating(std::floor(a.as_float() / b.as_float()));
}

Value modulo(const Value& a, const Value& b) {
  check_defined(a, b);
  if (a.is(Kind::String)) fail("printf-style string formatting (%) is not supported");
  if (!a.is_number() || !b.is_number()) unsupported("%", a, b);
  if (both_ints(a, b)) {
    if (b.as_int() == 0) fail("integer division or modulo by zero");
    if (b.as_int() == -1) return Value::integer(0);  // Python: x % -1 == 0 (INT64_MIN % -1 would trap)
    // C's remainder moved to the divisor's sign: never overflows (x - floor_div(x, y) * y can).
    std::int64_t r = a.as_int() % b.as_int();
    if (r != 0 && ((r < 0) != (b.as_int() < 0))) r += b.as_int();
    return Value::integer(r);
  }
  double y = b.as_float();
  if (y == 0.0) fail("float modulo");
  double r = std::fmod(a.as_float(), y);
  if (r != 0.0 && ((r < 0) != (y < 0))) r += y;
  if (r == 0.0) r = std::copysign(0.0, y);
  return Value::floating(r);
}

Value power(const Value& a, const Value& b) {
  check_defined(a, b);
  if (!a.is_number() || !b.is_number()) unsupported("** or pow()", a, b);
  if (both_ints(a, b) && b.as_int() >= 0) {
    // Square-and-multiply: O(log e) steps; a square that overflows while bits of e remain means
    // the result overflows too (|base| >= 2 there), so every overflow is reported.
    std::int64_t result = 1, base = a.as_int();
    for (std::int64_t e = b.as_int(); e > 0; e >>= 1) {
      if (e & 1) {
        if (__builtin_mul_overflow(result, base, &result)) overflow(a.as_int(), "**", b.as_int());
      }
      if (e > 1 && __builtin_mul_overflow(base, base, &base)) overflow(a.as_int(), "**", b.as_int());
    }
    return Value::integer(result);
  }
  if (a.as_float() == 0.0 && b.as_float() < 0)
    fail(both_ints(a, b) ? "0.0 cannot be raised to a negative power" : "0.0 cannot be raised to a negative power");
  return Value::floating(std::pow(a.as_float(), b.as_float()));
}

Value negate(const Value& a) {
  if (a.is_undefined()) a.fail_undefined();
  if (a.is(Kind::Float)) return Value::floating(-a.as_float());
  if (a.is_number()) {
    if (a.as_int() == INT64_MIN) fail("integer overflow: -(" + std::to_string(a.as_int()) + ") does not fit in 64 bits");
    return Value::integer(-a.as_int());
  }
  fail(std::string("bad operand type for unary -: '") + a.type_name() + "'");
}

// ---- iteration ------------------------------------------------------------------------------

Value iterate(const Value& v) {
  switch (v.kind()) {
    case Kind::List:
    case Kind::Tuple: charge_items(v.items().size()); return v;
    case Kind::Undefined: return Value::list();
    case Kind::Generator: return Value::list(v.items());
    case Kind::Loop: return v.loop_state().items;
    case Kind::Dict: {
      std::vector<Value> keys;
      keys.reserve(v.dict_data().items.size());
      for (const auto& kv : v.dict_data().items) keys.push_back(kv.first);
      return Value::list(std::move(keys));
    }
    case Kind::String: {
      std::vector<Value> chars;
      const std::string& s = v.str();
      check_list_size(unicode::length(s), "iterating over a string");
      chars.reserve(unicode::length(s));
      for (std::size_t pos = 0; pos < s.size();) {
        std::size_t start = pos;
        unicode::next(s, pos);
        chars.push_back(Value::string(s.substr(start, pos - start)));
      }
      return Value::list(std::move(chars));
    }
    default: fail(std::string("'") + v.type_name() + "' object is not iterable");
  }
}

std::int64_t length(const Value& v) {
  switch (v.kind()) {
    case Kind::String: charge_bytes(v.str().size()); return static_cast<std::int64_t>(unicode::length(v.str()));
    case Kind::List:
    case Kind::Tuple: return static_cast<std::int64_t>(v.items().size());
    case Kind::Dict: return static_cast<std::int64_t>(v.dict_data().items.size());
    case Kind::Undefined: return 0;
    case Kind::Loop: return static_cast<std::int64_t>(v.loop_state().size());
    default: fail(std::string("object of type '") + v.type_name() + "' has no len()");
  }
}

// ---- JSON -----------------------------------------------------------------------------------

namespace {

void json_string(std::string& out, const std::string& s, bool ensure_ascii) {
  out += '"';
  for (std::size_t pos = 0; pos < s.size();) {
    std::size_t start = pos;
    char32_t cp = unicode::next(s, pos);
    switch (cp) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      case '\b': out += "\\b"; continue;
      case '\f': out += "\\f"; continue;
      default: break;
    }
    if (cp < 0x20 || (ensure_ascii && cp > 0x7E)) {
      if (cp > 0xFFFF) {
        char32_t v = cp - 0x10000;
        append_hex(out, "\\u", 0xD800 | (v >> 10), 4);
        append_hex(out, "\\u", 0xDC00 | (v & 0x3FF), 4);
      } else {
        append_hex(out, "\\u", cp, 4);
      }
    } else {
      out.append(s, start, pos - start);
    }
  }
  out += '"';
}

std::string json_float(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d < 0 ? "-Infinity" : "Infinity";
  return format_float(d);
}

std::string json_key(const Value& k) {
  switch (k.kind()) {
    case Kind::String: return k.str();
    case Kind::Float: return json_float(k.as_float());
    case Kind::Bool: return k.as_bool() ? "true" : "false";
    case Kind::None: return "null";
    case Kind::Int: return std::to_string(k.as_int());
    default: fail(std::string("keys must be str, int, float, bool or None, not ") + k.type_name());
  }
}

void json_newline(std::string& out, const JsonOptions& o, int level) {
  check_string_size(size_add(out.size() + 1, size_mul(o.indent.size(), static_cast<std::size_t>(level))), "tojson");
  out += '\n';
  for (int k = 0; k < level; ++k) out += o.indent;
}

void json_value(std::string& out, const Value& v, const JsonOptions& o, int level);

void json_array(std::string& out, const std::vector<Value>& xs, const JsonOptions& o, int level) {
  if (xs.empty()) {
    out += "[]";
    return;
  }
  out += '[';
  for (std::size_t k = 0; k < xs.size(); ++k) {
    if (k) out += o.item_separator;
    check_string_size(out.size(), "tojson");
    if (o.has_indent) json_newline(out, o, level + 1);
    json_value(out, xs[k], o, level + 1);
  }
  if (o.has_indent) json_newline(out, o, level);
  out += ']';
}

void json_object(std::string& out, const Dict& d, const JsonOptions& o, int level) {
  if (d.items.empty()) {
    out += "{}";
    return;
  }
  std::vector<std::pair<std::string, const Value*>> entries;
  entries.reserve(d.items.size());
  for (const auto& [k, v] : d.items) entries.emplace_back(json_key(k), &v);
  if (o.sort_keys)
    std::stable_sort(entries.begin(), entries.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  out += '{';
  bool first = true;
  for (const auto& [k, v] : entries) {
    if (!first) out += o.item_separator;
    first = false;
    check_string_size(size_add(out.size(), k.size()), "tojson");
    if (o.has_indent) json_newline(out, o, level + 1);
    json_string(out, k, o.ensure_ascii);
    out += o.key_separator;
    json_value(out, *v, o, level + 1);
  }
  if (o.has_indent) json_newline(out, o, level);
  out += '}';
}

void json_value(std::string& out, const Value& v, const JsonOptions& o, int level) {
  check_string_size(out.size(), "tojson");
  check_value_depth(static_cast<std::size_t>(level));  // a namespace changed late may be deeper
  switch (v.kind()) {
    case Kind::None: out += "null"; return;
    case Kind::Bool: out += v.as_bool() ? "true" : "false"; return;
    case Kind::Int: out += std::to_string(v.as_int()); return;
    case Kind::Float: out += json_float(v.as_float()); return;
    case Kind::String:
      check_string_size(size_add(out.size(), v.str().size()), "tojson");
      json_string(out, v.str(), o.ensure_ascii);
      return;
    case Kind::List:
    case Kind::Tuple: json_array(out, v.items(), o, level); return;
    case Kind::Dict: json_object(out, v.dict_data(), o, level); return;
    default: fail(std::string("Object of type ") + v.type_name() + " is not JSON serializable");
  }
}

}  // namespace

std::string to_json(const Value& v, const JsonOptions& options) {
  std::string out;
  json_value(out, v, options, 0);
  return out;
}

}  // namespace ftcore::tmpl
