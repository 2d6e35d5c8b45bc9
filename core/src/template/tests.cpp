// jinja2's builtin tests (tests.py).
#include <map>

#include "template/builtins.hpp"
#include "template/render.hpp"
#include "template/unicode.hpp"

namespace ftcore::tmpl {

namespace {

const Value& need(const CallArgs& args, std::size_t index, const char* test) {
  const Value* v = args.get(index, "value");
  if (!v) v = args.get(index, "other");
  if (!v) v = args.get(index, "num");
  if (!v) v = args.get(index, "seq");
  if (!v) fail(std::string(test) + "() missing 1 required positional argument");
  return *v;
}

bool t_defined(Interpreter&, const Value& v, CallArgs&) { return !v.is_undefined(); }
bool t_undefined(Interpreter&, const Value& v, CallArgs&) { return v.is_undefined(); }
bool t_none(Interpreter&, const Value& v, CallArgs&) { return v.is(Kind::None); }
bool t_boolean(Interpreter&, const Value& v, CallArgs&) { return v.is(Kind::Bool); }
bool t_true(Interpreter&, const Value& v, CallArgs&) { return v.is(Kind::Bool) && v.as_bool(); }
bool t_false(Interpreter&, const Value& v, CallArgs&) { return v.is(Kind::Bool) && !v.as_bool(); }
bool t_integer(Interpreter&, const Value& v, CallArgs&) { return v.is(Kind::Int); }
bool t_float(Interpreter&, const Value& v, CallArgs&) { return v.is(Kind::Float); }
bool t_number(Interpreter&, const Value& v, CallArgs&) { return v.is_number(); }
bool t_string(Interpreter&, const Value& v, CallArgs&) { return v.is(Kind::String); }
bool t_mapping(Interpreter&, const Value& v, CallArgs&) { return v.is(Kind::Dict); }
bool t_callable(Interpreter&, const Value& v, CallArgs&) { return v.is(Kind::Callable); }
bool t_escaped(Interpreter&, const Value&, CallArgs&) { return false; }

bool t_iterable(Interpreter&, const Value& v, CallArgs&) {
  switch (v.kind()) {
    case Kind::String: case Kind::List: case Kind::Tuple: case Kind::Dict: case Kind::Undefined:
    case Kind::Generator: case Kind::Loop:
      return true;
    default:
      return false;
  }
}

bool t_sequence(Interpreter&, const Value& v, CallArgs&) {
  switch (v.kind()) {
    case Kind::String: case Kind::List: case Kind::Tuple: case Kind::Dict: case Kind::Undefined:
      return true;
    default:
      return false;
  }
}

bool t_odd(Interpreter&, const Value& v, CallArgs&) { return equals(modulo(v, Value::integer(2)), Value::integer(1)); }
bool t_even(Interpreter&, const Value& v, CallArgs&) { return equals(modulo(v, Value::integer(2)), Value::integer(0)); }
bool t_divisibleby(Interpreter&, const Value& v, CallArgs& a) {
  return equals(modulo(v, need(a, 0, "test_divisibleby")), Value::integer(0));
}

bool t_lower(Interpreter&, const Value& v, CallArgs&) { return unicode::all_cased(v.to_str(), false); }
bool t_upper(Interpreter&, const Value& v, CallArgs&) { return unicode::all_cased(v.to_str(), true); }

bool t_eq(Interpreter&, const Value& v, CallArgs& a) { return equals(v, need(a, 0, "test_eq")); }
bool t_ne(Interpreter&, const Value& v, CallArgs& a) { return !equals(v, need(a, 0, "test_ne")); }
bool t_lt(Interpreter&, const Value& v, CallArgs& a) { return ordered_compare(v, need(a, 0, "test_lt"), "<"); }
bool t_le(Interpreter&, const Value& v, CallArgs& a) { return ordered_compare(v, need(a, 0, "test_le"), "<="); }
bool t_gt(Interpreter&, const Value& v, CallArgs& a) { return ordered_compare(v, need(a, 0, "test_gt"), ">"); }
bool t_ge(Interpreter&, const Value& v, CallArgs& a) { return ordered_compare(v, need(a, 0, "test_ge"), ">="); }
bool t_in(Interpreter&, const Value& v, CallArgs& a) { return contains(need(a, 0, "test_in"), v); }

bool t_sameas(Interpreter&, const Value& v, CallArgs& a) {
  const Value& other = need(a, 0, "test_sameas");
  if (v.kind() != other.kind()) return false;
  switch (v.kind()) {
    case Kind::None: return true;
    case Kind::Bool: return v.as_bool() == other.as_bool();
    case Kind::Int: return v.as_int() == other.as_int() && v.as_int() >= -5 && v.as_int() <= 256;
    default: return v.identity() == other.identity();
  }
}

const std::map<std::string, TestFn>& test_table() {
  static const std::map<std::string, TestFn> table = {
      {"!=", t_ne}, {"<", t_lt}, {"<=", t_le}, {"==", t_eq}, {">", t_gt}, {">=", t_ge},
      {"boolean", t_boolean}, {"callable", t_callable}, {"defined", t_defined}, {"divisibleby", t_divisibleby},
      {"eq", t_eq}, {"equalto", t_eq}, {"escaped", t_escaped}, {"even", t_even}, {"false", t_false},
      {"float", t_float}, {"ge", t_ge}, {"greaterthan", t_gt}, {"gt", t_gt}, {"in", t_in},
      {"integer", t_integer}, {"iterable", t_iterable}, {"le", t_le}, {"lessthan", t_lt}, {"lower", t_lower},
      {"lt", t_lt}, {"mapping", t_mapping}, {"ne", t_ne}, {"none", t_none}, {"number", t_number},
      {"odd", t_odd}, {"sameas", t_sameas}, {"sequence", t_sequence}, {"string", t_string},
      {"true", t_true}, {"undefined", t_undefined}, {"upper", t_upper},
  };
  return table;
}

}  // namespace

TestFn find_test(const std::string& name) {
  const auto& table = test_table();
  auto it = table.find(name);
  return it == table.end() ? nullptr : it->second;
}

}  // namespace ftcore::tmpl
