// Filters, tests, global functions and methods of str/list/dict, as jinja2 and transformers define them.
#pragma once

#include <string>

#include "template/ast.hpp"

namespace ftcore::tmpl {

/// The filter or test of that name, or nullptr.
FilterFn find_filter(const std::string& name);
TestFn find_test(const std::string& name);

/// Globals: range, dict, namespace, raise_exception, strftime_now (nullptr-kind Value when unknown).
bool find_global(const std::string& name, Value& out);

/// `obj.name` as the sandbox resolves it: a bound method for known str/dict/list methods, or
/// nullptr-kind (Kind::Undefined with empty message) when the object has no such method.
bool find_method(const Value& obj, const std::string& name, Value& out);

/// Calls a method directly (obj.name(args)); returns false when obj has no such method.
bool call_method(Interpreter& in, const Value& obj, const std::string& name, CallArgs& args, Value& out);

}  // namespace ftcore::tmpl
