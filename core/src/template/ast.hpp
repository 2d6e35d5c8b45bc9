// Syntax tree of a parsed template.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "template/value.hpp"

namespace ftcore::tmpl {

class Interpreter;
struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

/// A filter: input value, arguments (already evaluated), returns the result.
using FilterFn = Value (*)(Interpreter&, const Value&, CallArgs&);
/// A test: value, arguments.
using TestFn = bool (*)(Interpreter&, const Value&, CallArgs&);

enum class ExprKind {
  Const, Name, List, Tuple, Dict, GetAttr, GetItem, Slice, Call, Filter, Test,
  Not, Neg, Pos, Binary, Compare, And, Or, CondExpr, Concat
};

enum class BinOp { Add, Sub, Mul, Div, FloorDiv, Mod, Pow };

struct Expr {
  ExprKind kind;
  std::size_t offset = 0;
  Value constant;                 // Const
  std::string name;               // Name, GetAttr attribute, Filter/Test name
  int slot = -1;                  // Name: interned variable id
  BinOp op = BinOp::Add;          // Binary
  std::vector<std::string> ops;   // Compare: operators for args[1..]
  std::vector<ExprPtr> args;      // operands / items / call arguments (first is the callee or input)
  std::vector<std::pair<std::string, ExprPtr>> kwargs;  // call, filter and test keyword arguments
  FilterFn filter = nullptr;      // Filter (null: unknown, fails at render)
  TestFn test = nullptr;          // Test
  bool negated = false;           // Test: `is not`
  bool has_slice_part[3] = {false, false, false};  // Slice: start, stop, step present (in args)
  std::size_t height = 1;         // levels of this tree (bounded by Limits::max_nesting)

  Expr(ExprKind k, std::size_t at) : kind(k), offset(at) {}
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

/// Assignment target: names (tuple unpacking when several), or `ns.attr`.
struct Target {
  std::vector<std::pair<std::string, int>> names;  // name and interned slot
  bool tuple = false;
  std::string attribute;  // set when the target is names[0].attribute
};

enum class StmtKind { Text, Output, If, For, Set, SetBlock, Macro, CallBlock, FilterBlock, With, Break, Continue, Generation };

struct MacroParam {
  std::string name;
  int slot;
  ExprPtr default_value;
};

struct Stmt {
  StmtKind kind;
  std::size_t offset = 0;
  std::string text;                                  // Text; Macro name
  ExprPtr expr;                                      // Output, Set, For iterable, CallBlock call
  std::vector<std::pair<ExprPtr, Body>> branches;    // If / elif
  Body body;                                         // For, SetBlock, Macro, FilterBlock, With, Generation
  Body else_body;                                    // If, For
  Target target;                                     // For, Set, SetBlock, Macro (name slot)
  ExprPtr condition;                                 // For inline `if`
  ExprPtr filter;                                    // SetBlock / FilterBlock: filter chain over a Const placeholder
  std::vector<MacroParam> params;                    // Macro
  std::vector<std::pair<Target, ExprPtr>> assigns;   // With

  Stmt(StmtKind k, std::size_t at) : kind(k), offset(at) {}
};

}  // namespace ftcore::tmpl
