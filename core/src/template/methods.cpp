// Methods of str, list, tuple and dict that the sandbox allows, and the template globals.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <set>

#include "template/builtins.hpp"
#include "template/render.hpp"
#include "template/unicode.hpp"

namespace ftcore::tmpl {

namespace {

const std::set<std::string> kStringMethods = {
    "strip", "lstrip", "rstrip", "startswith", "endswith", "split", "rsplit", "replace", "upper", "lower",
    "title", "capitalize", "swapcase", "find", "rfind", "index", "rindex", "count", "join", "splitlines",
    "isdigit", "isalpha", "isalnum", "isspace", "islower", "isupper", "isnumeric", "isdecimal",
    "removeprefix", "removesuffix", "format"};
const std::set<std::string> kListMethods = {"index", "count", "pop", "clear", "copy"};
const std::set<std::string> kListUnsafe = {"append", "reverse", "insert", "sort", "extend", "remove"};
const std::set<std::string> kDictMethods = {"items", "keys", "values", "get", "copy"};
const std::set<std::string> kDictUnsafe = {"clear", "pop", "popitem", "setdefault", "update"};

const std::string* optional_text(const CallArgs& args, std::size_t index, const char* name) {
  const Value* v = args.get(index, name);
  if (!v || v->is(Kind::None)) return nullptr;
  if (!v->is(Kind::String)) fail(std::string(name) + " arg must be None or str");
  return &v->str();
}

std::int64_t optional_int(const CallArgs& args, std::size_t index, const char* name, std::int64_t fallback) {
  const Value* v = args.get(index, name);
  if (!v || v->is(Kind::None)) return fallback;
  if (!v->is(Kind::Int) && !v->is(Kind::Bool))
    fail(std::string("'") + v->type_name() + "' object cannot be interpreted as an integer");
  return v->as_int();
}

const std::string& required_text(const CallArgs& args, std::size_t index, const char* method) {
  const Value* v = args.get(index, "");
  if (!v) fail(std::string(method) + "() takes at least " + std::to_string(index + 1) + " argument");
  if (!v->is(Kind::String))
    fail(std::string("must be str, not ") + v->type_name());
  return v->str();
}

// ---- str ------------------------------------------------------------------------------------

Value split_whitespace(const std::string& s, std::int64_t maxsplit, bool from_right) {
  std::vector<char32_t> cps = unicode::decode(s);
  std::vector<Value> parts;
  if (!from_right) {
    std::size_t k = 0;
    while (true) {
      while (k < cps.size() && unicode::is_space(cps[k])) ++k;
      if (k >= cps.size()) break;
      check_list_size(parts.size() + 1, "split");
      if (maxsplit >= 0 && static_cast<std::int64_t>(parts.size()) >= maxsplit) {
        std::vector<char32_t> rest(cps.begin() + static_cast<std::ptrdiff_t>(k), cps.end());
        parts.push_back(Value::string(unicode::encode(rest)));
        break;
      }
      std::size_t start = k;
      while (k < cps.size() && !unicode::is_space(cps[k])) ++k;
      parts.push_back(Value::string(unicode::encode({cps.begin() + static_cast<std::ptrdiff_t>(start), cps.begin() + static_cast<std::ptrdiff_t>(k)})));
    }
    return Value::list(std::move(parts));
  }
  std::size_t k = cps.size();
  while (true) {
    while (k > 0 && unicode::is_space(cps[k - 1])) --k;
    if (k == 0) break;
    check_list_size(parts.size() + 1, "rsplit");
    if (maxsplit >= 0 && static_cast<std::int64_t>(parts.size()) >= maxsplit) {
      parts.push_back(Value::string(unicode::encode({cps.begin(), cps.begin() + static_cast<std::ptrdiff_t>(k)})));
      break;
    }
    std::size_t end = k;
    while (k > 0 && !unicode::is_space(cps[k - 1])) --k;
    parts.push_back(Value::string(unicode::encode({cps.begin() + static_cast<std::ptrdiff_t>(k), cps.begin() + static_cast<std::ptrdiff_t>(end)})));
  }
  std::reverse(parts.begin(), parts.end());
  return Value::list(std::move(parts));
}

Value split_sep(const std::string& s, const std::string& sep, std::int64_t maxsplit, bool from_right) {
  if (sep.empty()) fail("empty separator");
  std::vector<Value> parts;
  if (!from_right) {
    std::size_t pos = 0;
    while (maxsplit < 0 || static_cast<std::int64_t>(parts.size()) < maxsplit) {
      std::size_t hit = unicode::find(s, sep, pos);
      if (hit == std::string::npos) break;
      check_list_size(parts.size() + 2, "split");
      parts.push_back(Value::string(s.substr(pos, hit - pos)));
      pos = hit + sep.size();
    }
    parts.push_back(Value::string(s.substr(pos)));
    return Value::list(std::move(parts));
  }
  std::size_t end = s.size();
  while (maxsplit < 0 || static_cast<std::int64_t>(parts.size()) < maxsplit) {
    if (end < sep.size()) break;
    std::size_t hit = unicode::rfind(s, sep, end);
    if (hit == std::string::npos) break;
    check_list_size(parts.size() + 2, "rsplit");
    parts.push_back(Value::string(s.substr(hit + sep.size(), end - hit - sep.size())));
    end = hit;
  }
  parts.push_back(Value::string(s.substr(0, end)));
  std::reverse(parts.begin(), parts.end());
  return Value::list(std::move(parts));
}

Value str_split(const std::string& s, const CallArgs& args, bool from_right) {
  const std::string* sep = optional_text(args, 0, "sep");
  std::int64_t maxsplit = optional_int(args, 1, "maxsplit", -1);
  return sep ? split_sep(s, *sep, maxsplit, from_right) : split_whitespace(s, maxsplit, from_right);
}

bool affix_match(const std::string& s, const Value& affix, bool prefix) {
  auto one = [&](const Value& a) {
    if (!a.is(Kind::String))
      fail(std::string(prefix ? "startswith" : "endswith") + " first arg must be str or a tuple of str, not " +
           a.type_name());
    const std::string& t = a.str();
    if (t.size() > s.size()) return false;
    return prefix ? s.compare(0, t.size(), t) == 0 : s.compare(s.size() - t.size(), t.size(), t) == 0;
  };
  if (affix.is(Kind::Tuple)) {
    for (const auto& a : affix.items())
      if (one(a)) return true;
    return false;
  }
  return one(affix);
}

/// Code point index of a byte offset.
std::int64_t cp_index(const std::string& s, std::size_t byte) { return static_cast<std::int64_t>(unicode::length(std::string_view(s).substr(0, byte))); }

Value str_find(const std::string& s, const CallArgs& args, bool reverse, bool raise, const char* method) {
  const std::string& sub = required_text(args, 0, method);
  std::size_t hit = reverse ? unicode::rfind(s, sub, s.size()) : unicode::find(s, sub);
  if (hit == std::string::npos) {
    if (raise) fail("substring not found");
    return Value::integer(-1);
  }
  return Value::integer(cp_index(s, hit));
}

Value str_count(const std::string& s, const CallArgs& args) {
  const std::string& sub = required_text(args, 0, "count");
  if (sub.empty()) return Value::integer(static_cast<std::int64_t>(unicode::length(s)) + 1);
  std::int64_t n = 0;
  for (std::size_t pos = unicode::find(s, sub); pos != std::string::npos; pos = unicode::find(s, sub, pos + sub.size()))
    ++n;
  return Value::integer(n);
}

Value str_join(const std::string& sep, const CallArgs& args) {
  const Value* iterable = args.get(0, "iterable");
  if (!iterable) fail("join() takes exactly one argument (0 given)");
  std::string out;
  std::size_t k = 0;
  for (const auto& item : iterate(*iterable).items()) {
    if (!item.is(Kind::String))
      fail("sequence item " + std::to_string(k) + ": expected str instance, " + item.type_name() + " found");
    check_string_size(size_add(out.size(), size_add(k ? sep.size() : 0, item.str().size())), "join");
    if (k++) out += sep;
    out += item.str();
  }
  return Value::string(std::move(out));
}

Value str_splitlines(const std::string& s, const CallArgs& args) {
  bool keepends = args.get(0, "keepends") && args.get(0, "keepends")->truthy();
  std::vector<Value> lines;
  for (auto& line : unicode::split_lines(s, keepends)) lines.push_back(Value::string(std::move(line)));
  return Value::list(std::move(lines));
}

template <typename Pred>
Value all_chars(const std::string& s, Pred pred) {
  if (s.empty()) return Value::boolean(false);
  for (std::size_t pos = 0; pos < s.size();)
    if (!pred(unicode::next(s, pos))) return Value::boolean(false);
  return Value::boolean(true);
}

bool string_method(const std::string& s, const std::string& name, const CallArgs& args, Value& out) {
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    const std::string* chars = optional_text(args, 0, "chars");
    out = Value::string(unicode::strip(s, chars, name != "rstrip", name != "lstrip"));
  } else if (name == "startswith" || name == "endswith") {
    const Value* affix = args.get(0, "prefix");
    if (!affix) fail(name + "() takes at least 1 argument (0 given)");
    out = Value::boolean(affix_match(s, *affix, name == "startswith"));
  } else if (name == "split" || name == "rsplit") {
    out = str_split(s, args, name == "rsplit");
  } else if (name == "replace") {
    const std::string& old_s = required_text(args, 0, "replace");
    const std::string& new_s = required_text(args, 1, "replace");
    out = Value::string(unicode::replace(s, old_s, new_s, optional_int(args, 2, "count", -1)));
  } else if (name == "upper") {
    out = Value::string(unicode::to_upper(s));
  } else if (name == "lower") {
    out = Value::string(unicode::to_lower(s));
  } else if (name == "title") {
    out = Value::string(unicode::title(s));
  } else if (name == "capitalize") {
    out = Value::string(unicode::capitalize(s));
  } else if (name == "find" || name == "rfind" || name == "index" || name == "rindex") {
    out = str_find(s, args, name[0] == 'r', name.find("index") != std::string::npos, name.c_str());
  } else if (name == "count") {
    out = str_count(s, args);
  } else if (name == "join") {
    out = str_join(s, args);
  } else if (name == "splitlines") {
    out = str_splitlines(s, args);
  } else if (name == "isdigit" || name == "isnumeric" || name == "isdecimal") {
    out = all_chars(s, unicode::is_digit);
  } else if (name == "isalpha") {
    out = all_chars(s, unicode::is_alpha);
  } else if (name == "isalnum") {
    out = all_chars(s, unicode::is_alnum);
  } else if (name == "isspace") {
    out = all_chars(s, unicode::is_space);
  } else if (name == "islower" || name == "isupper") {
    out = Value::boolean(unicode::all_cased(s, name == "isupper"));
  } else if (name == "removeprefix" || name == "removesuffix") {
    const std::string& a = required_text(args, 0, name.c_str());
    bool prefix = name == "removeprefix";
    bool hit = a.size() <= s.size() &&
               (prefix ? s.compare(0, a.size(), a) == 0 : s.compare(s.size() - a.size(), a.size(), a) == 0);
    out = Value::string(!hit ? s : prefix ? s.substr(a.size()) : s.substr(0, s.size() - a.size()));
  } else if (name == "format") {
    fail("str.format is not supported by this template engine");
  } else {
    return false;
  }
  return true;
}

// ---- list / dict ----------------------------------------------------------------------------

bool list_method(const Value& list, const std::string& name, const CallArgs& args, Value& out) {
  const auto& items = list.items();
  if (name == "index" || name == "count") {
    const Value* x = args.get(0, "value");
    if (!x) fail(name + "() takes exactly one argument (0 given)");
    charge_items(items.size());
    std::int64_t count = 0;
    for (std::size_t k = 0; k < items.size(); ++k) {
      if (!equals(items[k], *x)) continue;
      if (name == "index") {
        out = Value::integer(static_cast<std::int64_t>(k));
        return true;
      }
      ++count;
    }
    if (name == "index") fail(x->repr() + " is not in list");
    out = Value::integer(count);
  } else if (name == "copy") {
    out = Value::list(items);
  } else if (list.is(Kind::Tuple)) {
    return false;
  } else if (name == "pop") {
    auto& mutable_items = list.mutable_items();
    if (mutable_items.empty()) fail("pop from empty list");
    std::int64_t n = static_cast<std::int64_t>(mutable_items.size());
    std::int64_t i = optional_int(args, 0, "index", -1);
    if (i < 0) i += n;
    if (i < 0 || i >= n) fail("pop index out of range");
    out = mutable_items[static_cast<std::size_t>(i)];
    mutable_items.erase(mutable_items.begin() + i);
  } else if (name == "clear") {
    list.mutable_items().clear();
    out = Value::none();
  } else {
    return false;
  }
  return true;
}

bool dict_method(const Value& dict, const std::string& name, const CallArgs& args, Value& out) {
  const Dict& d = dict.dict_data();
  if (name == "items" || name == "keys" || name == "values") {
    std::vector<Value> result;
    result.reserve(d.items.size());
    for (const auto& [k, v] : d.items)
      result.push_back(name == "items" ? Value::tuple({k, v}) : name == "keys" ? k : v);
    out = Value::list(std::move(result));
  } else if (name == "get") {
    const Value* key = args.get(0, "key");
    if (!key) fail("get expected at least 1 argument, got 0");
    const Value* found = d.find(*key);
    const Value* fallback = args.get(1, "default");
    out = found ? *found : fallback ? *fallback : Value::none();
  } else if (name == "copy") {
    Value copy = Value::dict();
    copy.dict_data() = d;
    out = copy;
  } else {
    return false;
  }
  return true;
}

Value loop_cycle(const Value& loop, const CallArgs& args) {
  if (args.positional.empty()) fail("no items for cycling given");
  return args.positional[loop.loop_state().index0 % args.positional.size()];
}

const char* unsafe_type(const Value& obj, const std::string& name) {
  if (obj.is(Kind::List) && kListUnsafe.count(name)) return "list";
  if (obj.is(Kind::Dict) && kDictUnsafe.count(name)) return "dict";
  return nullptr;
}

bool has_method(const Value& obj, const std::string& name) {
  switch (obj.kind()) {
    case Kind::String: return kStringMethods.count(name) > 0;
    case Kind::List: return kListMethods.count(name) > 0;
    case Kind::Tuple: return name == "index" || name == "count";
    case Kind::Dict: return kDictMethods.count(name) > 0;
    case Kind::Loop: return name == "cycle";
    default: return false;
  }
}

// ---- globals --------------------------------------------------------------------------------

Value g_range(Interpreter&, CallArgs& args) {
  std::vector<std::int64_t> n;
  for (const auto& v : args.positional) {
    if (!v.is(Kind::Int) && !v.is(Kind::Bool))
      fail(std::string("'") + v.type_name() + "' object cannot be interpreted as an integer");
    n.push_back(v.as_int());
  }
  if (n.empty() || n.size() > 3) fail("range expected at least 1 argument, got " + std::to_string(n.size()));
  std::int64_t start = n.size() == 1 ? 0 : n[0], stop = n.size() == 1 ? n[0] : n[1], step = n.size() == 3 ? n[2] : 1;
  if (step == 0) fail("range() arg 3 must not be zero");
  // The length in 128 bits: stop - start and friends overflow 64 bits for extreme arguments.
  __int128 span = step > 0 ? static_cast<__int128>(stop) - start : static_cast<__int128>(start) - stop;
  __int128 stride = step > 0 ? static_cast<__int128>(step) : -static_cast<__int128>(step);
  __int128 length = span > 0 ? (span + stride - 1) / stride : 0;
  if (length > Limits::kMaxRange)
    fail("Range too big. The sandbox blocks ranges larger than MAX_RANGE (" + std::to_string(Limits::kMaxRange) + ").");
  std::int64_t count = static_cast<std::int64_t>(length);
  std::vector<Value> out;
  out.reserve(static_cast<std::size_t>(count));
  for (std::int64_t k = 0; k < count; ++k)
    out.push_back(Value::integer(static_cast<std::int64_t>(start + static_cast<__int128>(k) * step)));
  return Value::list(std::move(out));
}

void merge_mapping(Value& target, const CallArgs& args, const char* what) {
  if (args.positional.size() > 1) fail(std::string(what) + " expected at most 1 argument, got " + std::to_string(args.positional.size()));
  if (!args.positional.empty()) {
    const Value& src = args.positional[0];
    if (src.is(Kind::Dict) || src.is(Kind::Namespace)) {
      for (const auto& [k, v] : src.dict_data().items) target.dict_data().set(k, v);
    } else {
      for (const auto& pair : iterate(src).items()) {
        Value kv = iterate(pair);
        if (kv.items().size() != 2) fail("dictionary update sequence element has wrong length");
        target.dict_data().set(kv.items()[0], kv.items()[1]);
      }
    }
  }
  for (const auto& [k, v] : args.keyword) target.dict_data().set(Value::string(k), v);
}

Value g_dict(Interpreter&, CallArgs& args) {
  Value d = Value::dict();
  merge_mapping(d, args, "dict");
  return d;
}

Value g_namespace(Interpreter&, CallArgs& args) {
  Value ns = Value::namespace_();
  merge_mapping(ns, args, "namespace");
  return ns;
}

Value g_raise_exception(Interpreter&, CallArgs& args) {
  fail(args.positional.empty() ? std::string() : args.positional[0].to_str());
}

Value g_strftime_now(Interpreter&, CallArgs& args) {
  if (args.positional.empty()) fail("strftime_now() missing 1 required positional argument: 'format'");
  std::string format = args.positional[0].to_str();
  check_string_size(size_add(size_mul(format.size(), 8), 256), "strftime_now");
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm local{};
  localtime_r(&now, &local);
  std::vector<char> buf(format.size() * 8 + 256);
  std::size_t n = std::strftime(buf.data(), buf.size(), format.c_str(), &local);
  return Value::string(std::string(buf.data(), n));
}

Value make_global(const char* name, Value (*fn)(Interpreter&, CallArgs&)) {
  auto callable = std::make_shared<Callable>();
  callable->name = name;
  callable->call = fn;
  return Value::callable(std::move(callable));
}

}  // namespace

bool find_global(const std::string& name, Value& out) {
  static const Value range = make_global("range", g_range);
  static const Value dict = make_global("dict", g_dict);
  static const Value ns = make_global("namespace", g_namespace);
  static const Value raise = make_global("raise_exception", g_raise_exception);
  static const Value strftime = make_global("strftime_now", g_strftime_now);
  if (name == "range") out = range;
  else if (name == "dict") out = dict;
  else if (name == "namespace") out = ns;
  else if (name == "raise_exception") out = raise;
  else if (name == "strftime_now") out = strftime;
  else return false;
  return true;
}

bool call_method(Interpreter&, const Value& obj, const std::string& name, CallArgs& args, Value& out) {
  switch (obj.kind()) {
    case Kind::String: return string_method(obj.str(), name, args, out);
    case Kind::List:
    case Kind::Tuple: return list_method(obj, name, args, out);
    case Kind::Dict: return dict_method(obj, name, args, out);
    case Kind::Loop:
      if (name != "cycle") return false;
      out = loop_cycle(obj, args);
      return true;
    default: return false;
  }
}

bool find_method(const Value& obj, const std::string& name, Value& out) {
  if (const char* type = unsafe_type(obj, name)) {
    out = Value::undefined("access to attribute '" + name + "' of '" + type + "' object is unsafe.", true);
    return true;
  }
  if (!has_method(obj, name)) return false;
  auto bound = std::make_shared<Callable>();
  bound->name = name;
  bound->depth = obj.depth() + 1;  // it holds obj
  bound->call = [obj, name](Interpreter& in, CallArgs& args) {
    Value result;
    call_method(in, obj, name, args, result);
    return result;
  };
  out = Value::callable(std::move(bound));
  return true;
}

}  // namespace ftcore::tmpl
