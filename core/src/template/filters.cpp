// jinja2's builtin filters (filters.py) and transformers' tojson.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>

#include "template/builtins.hpp"
#include "template/render.hpp"
#include "template/unicode.hpp"

namespace ftcore::tmpl {

namespace {

Value arg_or(const CallArgs& args, std::size_t index, const char* name, Value fallback) {
  const Value* v = args.get(index, name);
  return v ? *v : fallback;
}

bool flag(const CallArgs& args, std::size_t index, const char* name, bool fallback = false) {
  const Value* v = args.get(index, name);
  return v ? v->truthy() : fallback;
}

std::string text(const CallArgs& args, std::size_t index, const char* name, const std::string& fallback) {
  const Value* v = args.get(index, name);
  return v ? v->to_str() : fallback;
}

/// Items of an iterable as a vector (lists/tuples without a deep copy of values).
std::vector<Value> items_of(const Value& v) { return iterate(v).items(); }

/// jinja2 make_attrgetter: dotted path, digit parts as integers, via environment.getitem.
Value get_path(Interpreter& in, const Value& item, const std::string& path) {
  Value cur = item;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = path.find('.', start);
    std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    bool digits = !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
    cur = in.getitem(cur, digits ? Value::integer(std::atoll(part.c_str())) : Value::string(part));
    if (dot == std::string::npos) return cur;
    start = dot + 1;
  }
}

Value lowered(const Value& v, bool case_sensitive) {
  if (!case_sensitive && v.is(Kind::String)) return Value::string(unicode::to_lower(v.str()));
  return v;
}

/// A sort's comparisons: n log n.
void charge_sort(std::size_t n) {
  std::size_t log = 1;
  while ((std::size_t{1} << log) < n) ++log;
  charge_items(size_mul(n, log));
}

// ---- string filters -------------------------------------------------------------------------

Value f_upper(Interpreter&, const Value& v, CallArgs&) { return Value::string(unicode::to_upper(v.to_str())); }
Value f_lower(Interpreter&, const Value& v, CallArgs&) { return Value::string(unicode::to_lower(v.to_str())); }
Value f_capitalize(Interpreter&, const Value& v, CallArgs&) { return Value::string(unicode::capitalize(v.to_str())); }

Value f_title(Interpreter&, const Value& v, CallArgs&) {
  // Words start after runs of '-', whitespace, '(', '{', '[' or '<'.
  std::string s = v.to_str(), out;
  bool word_start = true;
  for (std::size_t pos = 0; pos < s.size();) {
    std::size_t begin = pos;
    char32_t cp = unicode::next(s, pos);
    bool separator = cp == '-' || cp == '(' || cp == '{' || cp == '[' || cp == '<' || unicode::is_space(cp);
    std::string ch = s.substr(begin, pos - begin);
    if (separator) {
      out += ch;
      word_start = true;
    } else {
      out += word_start ? unicode::to_upper(ch) : unicode::to_lower(ch);
      word_start = false;
    }
  }
  return Value::string(std::move(out));
}

Value f_trim(Interpreter&, const Value& v, CallArgs& args) {
  const Value* chars = args.get(0, "chars");
  std::string set;
  bool has_chars = chars && !chars->is(Kind::None);
  if (has_chars) set = chars->to_str();
  return Value::string(unicode::strip(v.to_str(), has_chars ? &set : nullptr, true, true));
}

Value f_replace(Interpreter&, const Value& v, CallArgs& args) {
  std::string s = v.to_str(), old_s = text(args, 0, "old", ""), new_s = text(args, 1, "new", "");
  Value count_v = arg_or(args, 2, "count", Value::none());
  std::int64_t count = count_v.is(Kind::None) ? -1 : count_v.as_int();
  return Value::string(unicode::replace(s, old_s, new_s, count));
}

Value f_string(Interpreter&, const Value& v, CallArgs&) { return Value::string(v.to_str()); }
Value f_safe(Interpreter&, const Value& v, CallArgs&) { return Value::string(v.to_str()); }

Value f_escape(Interpreter&, const Value& v, CallArgs&) {
  std::string s = v.to_str(), out;
  std::size_t size = s.size();
  for (char c : s) size += c == '&' ? 4 : c == '<' || c == '>' ? 3 : c == '"' || c == '\'' ? 4 : 0;
  check_string_size(size, "escape");
  out.reserve(size);
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return Value::string(std::move(out));
}

Value f_indent(Interpreter&, const Value& v, CallArgs& args) {
  if (v.is_undefined()) v.fail_undefined();
  Value width = arg_or(args, 0, "width", Value::integer(4));
  std::size_t width_bytes =
      width.is(Kind::String) ? width.str().size() : static_cast<std::size_t>(std::max<std::int64_t>(0, width.as_int()));
  check_string_size(width_bytes, "indent");
  std::string indention = width.is(Kind::String) ? width.str() : std::string(width_bytes, ' ');
  bool first = flag(args, 1, "first"), blank = flag(args, 2, "blank");
  std::string text = v.to_str();
  std::vector<std::string> lines = unicode::split_lines(text + "\n", false);
  // At most one indentation per line (plus `first`), checked before the result is built.
  check_string_size(size_add(text.size() + lines.size(), size_mul(lines.size() + 1, indention.size())), "indent");
  std::string rv;
  if (blank) {
    for (std::size_t k = 0; k < lines.size(); ++k) rv += (k ? "\n" + indention : "") + lines[k];
  } else {
    rv = lines.empty() ? "" : lines[0];
    for (std::size_t k = 1; k < lines.size(); ++k) rv += "\n" + (lines[k].empty() ? "" : indention + lines[k]);
  }
  if (first) rv = indention + rv;
  return Value::string(std::move(rv));
}

Value f_wordcount(Interpreter&, const Value& v, CallArgs&) {
  std::string s = v.to_str();
  std::int64_t count = 0;
  bool in_word = false;
  for (std::size_t pos = 0; pos < s.size();) {
    char32_t cp = unicode::next(s, pos);
    bool word = cp == '_' || unicode::is_alnum(cp);
    if (word && !in_word) ++count;
    in_word = word;
  }
  return Value::integer(count);
}

// ---- sequence filters -----------------------------------------------------------------------

Value f_length(Interpreter&, const Value& v, CallArgs&) { return Value::integer(length(v)); }

Value f_first(Interpreter&, const Value& v, CallArgs&) {
  if (v.is(Kind::String)) {  // without a list of every character
    const std::string& s = v.str();
    if (s.empty()) return Value::undefined("No first item, sequence was empty.");
    std::size_t pos = 0;
    unicode::next(s, pos);
    return Value::string(s.substr(0, pos));
  }
  Value seq = iterate(v);
  if (seq.items().empty()) return Value::undefined("No first item, sequence was empty.");
  return seq.items().front();
}

Value f_last(Interpreter&, const Value& v, CallArgs&) {
  if (v.is(Kind::Generator)) fail("'generator' object is not reversible");
  if (v.is(Kind::String)) {  // without a list of every character
    const std::string& s = v.str();
    if (s.empty()) return Value::undefined("No last item, sequence was empty.");
    charge_bytes(s.size());
    std::size_t start = 0;
    for (std::size_t pos = 0; pos < s.size();) {
      start = pos;
      unicode::next(s, pos);
    }
    return Value::string(s.substr(start));
  }
  Value seq = iterate(v);
  if (seq.items().empty()) return Value::undefined("No last item, sequence was empty.");
  return seq.items().back();
}

Value f_list(Interpreter&, const Value& v, CallArgs&) { return Value::list(items_of(v)); }

Value f_reverse(Interpreter&, const Value& v, CallArgs&) {
  if (v.is(Kind::String)) {
    std::vector<char32_t> cps = unicode::decode(v.str());
    std::reverse(cps.begin(), cps.end());
    return Value::string(unicode::encode(cps));
  }
  std::vector<Value> items = items_of(v);
  std::reverse(items.begin(), items.end());
  if (v.is(Kind::Generator)) return Value::list(std::move(items));
  return Value::generator(std::move(items));
}

Value f_join(Interpreter& in, const Value& v, CallArgs& args) {
  std::string sep = text(args, 0, "d", "");
  Value attribute = arg_or(args, 1, "attribute", Value::none());
  std::string out;
  bool first = true;
  for (const auto& item : items_of(v)) {
    if (!first) {
      check_string_size(size_add(out.size(), sep.size()), "join");
      out += sep;
    }
    first = false;
    (attribute.is(Kind::None) ? item : get_path(in, item, attribute.to_str())).append_str(out);
  }
  return Value::string(std::move(out));
}

Value f_default(Interpreter&, const Value& v, CallArgs& args) {
  Value fallback = arg_or(args, 0, "default_value", Value::string(""));
  bool boolean = flag(args, 1, "boolean");
  if (v.is_undefined() || (boolean && !v.truthy())) return fallback;
  return v;
}

Value f_items(Interpreter&, const Value& v, CallArgs&) {
  if (v.is_undefined()) return Value::generator({});
  if (!v.is(Kind::Dict)) fail("Can only get item pairs from a mapping.");
  std::vector<Value> out;
  for (const auto& [k, val] : v.dict_data().items) out.push_back(Value::tuple({k, val}));
  return Value::generator(std::move(out));
}

Value f_dictsort(Interpreter&, const Value& v, CallArgs& args) {
  if (!v.is(Kind::Dict)) {
    if (v.is_undefined()) v.fail_undefined();
    fail(std::string("'") + v.type_name() + "' object has no attribute 'items'");
  }
  bool case_sensitive = flag(args, 0, "case_sensitive");
  std::string by = text(args, 1, "by", "key");
  bool reverse = flag(args, 2, "reverse");
  if (by != "key" && by != "value") fail("You can only sort by either \"key\" or \"value\"");
  std::size_t pos = by == "key" ? 0 : 1;
  std::vector<Value> pairs;
  for (const auto& [k, val] : v.dict_data().items) pairs.push_back(Value::tuple({k, val}));
  charge_sort(pairs.size());
  std::stable_sort(pairs.begin(), pairs.end(), [&](const Value& a, const Value& b) {
    Value x = lowered(a.items()[pos], case_sensitive), y = lowered(b.items()[pos], case_sensitive);
    return reverse ? ordered_compare(y, x, "<") : ordered_compare(x, y, "<");
  });
  return Value::list(std::move(pairs));
}

Value sort_key(Interpreter& in, const Value& item, const Value& attribute, bool case_sensitive) {
  Value key = attribute.is(Kind::None) ? item : get_path(in, item, attribute.to_str());
  return lowered(key, case_sensitive);
}

Value f_sort(Interpreter& in, const Value& v, CallArgs& args) {
  bool reverse = flag(args, 0, "reverse"), case_sensitive = flag(args, 1, "case_sensitive");
  Value attribute = arg_or(args, 2, "attribute", Value::none());
  std::vector<Value> items = items_of(v);
  std::vector<std::pair<Value, Value>> keyed;
  for (auto& item : items) keyed.emplace_back(sort_key(in, item, attribute, case_sensitive), item);
  charge_sort(keyed.size());
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
    return reverse ? ordered_compare(b.first, a.first, "<") : ordered_compare(a.first, b.first, "<");
  });
  std::vector<Value> out;
  for (auto& kv : keyed) out.push_back(std::move(kv.second));
  return Value::list(std::move(out));
}

Value f_unique(Interpreter& in, const Value& v, CallArgs& args) {
  bool case_sensitive = flag(args, 0, "case_sensitive");
  Value attribute = arg_or(args, 1, "attribute", Value::none());
  std::set<std::string> seen;
  std::vector<Value> out;
  for (const auto& item : items_of(v))
    if (seen.insert(dict_key(sort_key(in, item, attribute, case_sensitive))).second) out.push_back(item);
  return Value::generator(std::move(out));
}

Value min_max(Interpreter& in, const Value& v, CallArgs& args, bool want_max) {
  bool case_sensitive = flag(args, 0, "case_sensitive");
  Value attribute = arg_or(args, 1, "attribute", Value::none());
  std::vector<Value> items = items_of(v);
  if (items.empty()) return Value::undefined("No aggregated item, sequence was empty.");
  std::size_t best = 0;
  Value best_key = sort_key(in, items[0], attribute, case_sensitive);
  for (std::size_t k = 1; k < items.size(); ++k) {
    Value key = sort_key(in, items[k], attribute, case_sensitive);
    if (want_max ? ordered_compare(key, best_key, ">") : ordered_compare(key, best_key, "<")) {
      best = k;
      best_key = key;
    }
  }
  return items[best];
}
Value f_min(Interpreter& in, const Value& v, CallArgs& args) { return min_max(in, v, args, false); }
Value f_max(Interpreter& in, const Value& v, CallArgs& args) { return min_max(in, v, args, true); }

Value f_sum(Interpreter& in, const Value& v, CallArgs& args) {
  Value attribute = arg_or(args, 0, "attribute", Value::none());
  Value total = arg_or(args, 1, "start", Value::integer(0));
  for (const auto& item : items_of(v))
    total = add(total, attribute.is(Kind::None) ? item : get_path(in, item, attribute.to_str()));
  return total;
}

Value f_map(Interpreter& in, const Value& v, CallArgs& args) {
  std::vector<Value> out;
  if (args.positional.empty()) {
    const Value* attribute = args.get(99, "attribute");
    if (!attribute) fail("map requires a filter argument");
    const Value* fallback = args.get(99, "default");
    for (const auto& item : items_of(v)) {
      Value got = get_path(in, item, attribute->to_str());
      out.push_back(fallback && got.is_undefined() ? *fallback : got);
    }
    return Value::generator(std::move(out));
  }
  std::string name = args.positional[0].to_str();
  FilterFn filter = find_filter(name);
  if (!filter) fail("No filter named '" + name + "'.");
  CallArgs rest;
  rest.positional.assign(args.positional.begin() + 1, args.positional.end());
  rest.keyword = args.keyword;
  for (const auto& item : items_of(v)) out.push_back(filter(in, item, rest));
  return Value::generator(std::move(out));
}

Value select_common(Interpreter& in, const Value& v, CallArgs& args, bool by_attribute, bool keep) {
  std::size_t next = 0;
  std::string attribute;
  if (by_attribute) {
    if (args.positional.empty()) fail("Missing parameter for attribute name");
    attribute = args.positional[next++].to_str();
  }
  TestFn test = nullptr;
  CallArgs rest;
  if (next < args.positional.size()) {
    std::string name = args.positional[next++].to_str();
    test = find_test(name);
    if (!test) fail("No test named '" + name + "'.");
    rest.positional.assign(args.positional.begin() + static_cast<std::ptrdiff_t>(next), args.positional.end());
    rest.keyword = args.keyword;
  }
  std::vector<Value> out;
  for (const auto& item : items_of(v)) {
    Value subject = by_attribute ? get_path(in, item, attribute) : item;
    bool ok = test ? test(in, subject, rest) : subject.truthy();
    if (ok == keep) out.push_back(item);
  }
  return Value::generator(std::move(out));
}
Value f_select(Interpreter& in, const Value& v, CallArgs& a) { return select_common(in, v, a, false, true); }
Value f_reject(Interpreter& in, const Value& v, CallArgs& a) { return select_common(in, v, a, false, false); }
Value f_selectattr(Interpreter& in, const Value& v, CallArgs& a) { return select_common(in, v, a, true, true); }
Value f_rejectattr(Interpreter& in, const Value& v, CallArgs& a) { return select_common(in, v, a, true, false); }

Value f_attr(Interpreter& in, const Value& v, CallArgs& args) { return in.getattr(v, text(args, 0, "name", "")); }

// ---- numbers --------------------------------------------------------------------------------

/// Python float(str); false when the text is not a float literal.
bool parse_float(const std::string& s, double& out) {
  std::string t = unicode::strip(s, nullptr, true, true), clean;
  for (std::size_t k = 0; k < t.size(); ++k) {
    if (t[k] == '_' && k > 0 && k + 1 < t.size() && std::isdigit(static_cast<unsigned char>(t[k - 1])) &&
        std::isdigit(static_cast<unsigned char>(t[k + 1])))
      continue;
    if (t[k] == 'x' || t[k] == 'X' || t[k] == 'p' || t[k] == 'P') return false;
    clean += t[k];
  }
  if (clean.empty()) return false;
  char* end = nullptr;
  out = std::strtod(clean.c_str(), &end);
  return end == clean.c_str() + clean.size();
}

bool parse_int(const std::string& s, std::int64_t base, std::int64_t& out) {
  std::string t = unicode::strip(s, nullptr, true, true), clean;
  for (std::size_t k = 0; k < t.size(); ++k) {
    if (t[k] == '_' && k > 0 && k + 1 < t.size() && std::isalnum(static_cast<unsigned char>(t[k - 1])) &&
        std::isalnum(static_cast<unsigned char>(t[k + 1])))
      continue;
    clean += t[k];
  }
  if (clean.empty()) return false;
  char* end = nullptr;
  std::size_t start = (clean[0] == '+' || clean[0] == '-') ? 1 : 0;
  if (start >= clean.size() || !std::isalnum(static_cast<unsigned char>(clean[start]))) return false;
  if (base < 0 || base > 36) return false;  // strtoll rejects it too (and it must not be truncated to int)
  errno = 0;
  out = std::strtoll(clean.c_str(), &end, static_cast<int>(base));
  if (end != clean.c_str() + clean.size()) return false;
  if (errno == ERANGE) fail("integer overflow: int('" + clean.substr(0, 100) + "') does not fit in 64 bits");
  return true;
}

Value f_int(Interpreter&, const Value& v, CallArgs& args) {
  Value fallback = arg_or(args, 0, "default", Value::integer(0));
  std::int64_t base = arg_or(args, 1, "base", Value::integer(10)).as_int();
  if (v.is_undefined()) v.fail_undefined();
  if (v.is(Kind::Int) || v.is(Kind::Bool)) return Value::integer(v.as_int());
  if (v.is(Kind::Float)) {
    double f = v.as_float();
    if (std::isnan(f) || std::isinf(f)) return fallback;
    return Value::integer(float_to_int(f));
  }
  if (v.is(Kind::String)) {
    std::int64_t i;
    if (parse_int(v.str(), base, i)) return Value::integer(i);
    double f;
    if (parse_float(v.str(), f) && !std::isnan(f) && !std::isinf(f)) return Value::integer(float_to_int(f));
  }
  return fallback;
}

Value f_float(Interpreter&, const Value& v, CallArgs& args) {
  Value fallback = arg_or(args, 0, "default", Value::floating(0.0));
  if (v.is_undefined()) v.fail_undefined();
  if (v.is_number()) return Value::floating(v.as_float());
  double f;
  if (v.is(Kind::String) && parse_float(v.str(), f)) return Value::floating(f);
  return fallback;
}

Value f_abs(Interpreter&, const Value& v, CallArgs&) {
  if (v.is(Kind::Float)) return Value::floating(std::fabs(v.as_float()));
  if (v.is_number()) {
    if (v.as_int() == INT64_MIN) fail("integer overflow: abs(" + std::to_string(v.as_int()) + ") does not fit in 64 bits");
    return Value::integer(std::llabs(v.as_int()));
  }
  fail(std::string("bad operand type for abs(): '") + v.type_name() + "'");
}

double round_half_even(double value, std::int64_t precision) {
  if (precision >= 0) {
    char buf[1024];  // "%.300f" of the largest double: 309 digits, the point and 300 decimals
    std::snprintf(buf, sizeof buf, "%.*f", static_cast<int>(std::min<std::int64_t>(precision, 300)), value);
    return std::strtod(buf, nullptr);
  }
  double scale = std::pow(10.0, -static_cast<double>(precision));
  return std::nearbyint(value / scale) * scale;
}

Value f_round(Interpreter&, const Value& v, CallArgs& args) {
  std::int64_t precision = arg_or(args, 0, "precision", Value::integer(0)).as_int();
  std::string method = text(args, 1, "method", "common");
  if (method != "common" && method != "ceil" && method != "floor") fail("method must be common, ceil or floor");
  if (v.is_undefined()) v.fail_undefined();
  if (!v.is_number()) fail(std::string("type ") + v.type_name() + " doesn't define __round__ method");
  if (method == "common") {
    if (!v.is(Kind::Float)) return Value::integer(v.as_int());
    return Value::floating(round_half_even(v.as_float(), precision));
  }
  double scale = std::pow(10.0, static_cast<double>(precision));
  double scaled = v.as_float() * scale;
  double r = method == "ceil" ? std::ceil(scaled) : std::floor(scaled);
  return Value::floating(r / scale);
}

// ---- tojson ---------------------------------------------------------------------------------

Value f_tojson(Interpreter&, const Value& v, CallArgs& args) {
  JsonOptions o;
  o.ensure_ascii = flag(args, 0, "ensure_ascii");
  Value indent = arg_or(args, 1, "indent", Value::none());
  if (!indent.is(Kind::None)) {
    o.has_indent = true;
    std::size_t width = indent.is(Kind::String) ? indent.str().size()
                                                : static_cast<std::size_t>(std::max<std::int64_t>(0, indent.as_int()));
    check_string_size(width, "tojson");
    o.indent = indent.is(Kind::String) ? indent.str() : std::string(width, ' ');
    o.item_separator = ",";
  }
  Value separators = arg_or(args, 2, "separators", Value::none());
  if (!separators.is(Kind::None)) {
    std::vector<Value> parts = items_of(separators);
    if (parts.size() != 2) fail("too many values to unpack (expected 2)");
    o.item_separator = parts[0].to_str();
    o.key_separator = parts[1].to_str();
  }
  o.sort_keys = flag(args, 3, "sort_keys");
  return Value::string(to_json(v, o));
}

const std::map<std::string, FilterFn>& filter_table() {
  static const std::map<std::string, FilterFn> table = {
      {"abs", f_abs}, {"attr", f_attr}, {"capitalize", f_capitalize}, {"count", f_length},
      {"d", f_default}, {"default", f_default}, {"dictsort", f_dictsort}, {"e", f_escape},
      {"escape", f_escape}, {"first", f_first}, {"float", f_float}, {"indent", f_indent},
      {"int", f_int}, {"items", f_items}, {"join", f_join}, {"last", f_last},
      {"length", f_length}, {"list", f_list}, {"lower", f_lower}, {"map", f_map},
      {"max", f_max}, {"min", f_min}, {"reject", f_reject}, {"rejectattr", f_rejectattr},
      {"replace", f_replace}, {"reverse", f_reverse}, {"round", f_round}, {"safe", f_safe},
      {"select", f_select}, {"selectattr", f_selectattr}, {"sort", f_sort}, {"string", f_string},
      {"sum", f_sum}, {"title", f_title}, {"tojson", f_tojson}, {"trim", f_trim},
      {"unique", f_unique}, {"upper", f_upper}, {"wordcount", f_wordcount},
  };
  return table;
}

}  // namespace

FilterFn find_filter(const std::string& name) {
  const auto& table = filter_table();
  auto it = table.find(name);
  return it == table.end() ? nullptr : it->second;
}

}  // namespace ftcore::tmpl
