#include "template/parser.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "template/builtins.hpp"
#include "template/jinja.hpp"

namespace ftcore::tmpl {

int Program::slot(const std::string& name) {
  auto [it, inserted] = slots.emplace(name, static_cast<int>(slot_names.size()));
  if (inserted) slot_names.push_back(name);
  return it->second;
}

namespace {

using EndTokens = std::vector<std::string>;

std::string describe(const Token& t) {
  switch (t.type) {
    case TokenType::Data: return "template data / text";
    case TokenType::VariableBegin: return "begin of print statement";
    case TokenType::VariableEnd: return "end of print statement";
    case TokenType::BlockBegin: return "begin of statement block";
    case TokenType::BlockEnd: return "end of statement block";
    case TokenType::Name: case TokenType::Operator: return t.value;
    case TokenType::String: return "string";
    case TokenType::Integer: return "integer";
    case TokenType::Float: return "float";
    case TokenType::End: return "end of template";
  }
  return "token";
}

class Parser {
 public:
  Parser(const std::vector<Token>& tokens, const SourceMap& map, Program& program, const Limits& limits)
      : toks_(tokens), map_(map), program_(program), limits_(limits) {}

  Body parse_template() {
    Body body = subparse({});
    if (!pending_.empty()) throw TemplateError(map_.where(pending_.front().second) + pending_.front().first);
    return body;
  }

 private:
  const std::vector<Token>& toks_;
  const SourceMap& map_;
  Program& program_;
  const Limits& limits_;
  std::size_t nesting_ = 0;  // blocks and sub-expressions being parsed (the parser's recursion)
  std::size_t i_ = 0;
  bool soft_ = false;
  int loop_depth_ = 0;
  std::vector<EndTokens> end_stack_;
  std::vector<std::string> tag_stack_;
  std::vector<std::pair<std::string, std::size_t>> pending_;  // unknown filters/tests in hard frames

  /// One more level of nesting while it lives: parsing recurses once per level, so a hostile
  /// template (10,000 parentheses or `{% if %}`s) must fail before it exhausts the stack.
  struct Nest {
    Nest(Parser& p, std::size_t at) : p_(p) {
      if (p_.nesting_ >= p_.limits_.max_nesting)
        p_.error(at, "too deeply nested: blocks and expressions nest more than " +
                         std::to_string(p_.limits_.max_nesting) + " levels deep (Limits::max_nesting)");
      ++p_.nesting_;
    }
    ~Nest() { --p_.nesting_; }
    Nest(const Nest&) = delete;
    Nest& operator=(const Nest&) = delete;
    Parser& p_;
  };

  /// Records the height of a finished node; chains that the parser builds in loops (`a + b + c`,
  /// `x|f|g`, `a.b.c`) must stay as bounded as nesting, for the renderer and the destructor recurse.
  ExprPtr seal(ExprPtr node) {
    std::size_t below = 0;
    for (const auto& a : node->args)
      if (a) below = std::max(below, a->height);
    for (const auto& kv : node->kwargs)
      if (kv.second) below = std::max(below, kv.second->height);
    node->height = below + 1;
    if (node->height > limits_.max_nesting)
      error(node->offset, "expression too deeply nested: operators, filters, calls and subscripts nest more than " +
                              std::to_string(limits_.max_nesting) + " levels deep (Limits::max_nesting)");
    return node;
  }

  std::int64_t integer_literal(const Token& t) const {
    errno = 0;
    long long v = std::strtoll(t.value.c_str(), nullptr, 10);
    if (errno == ERANGE) error(t.offset, "integer overflow: literal " + t.value + " does not fit in 64 bits");
    return v;
  }

  // ---- token helpers -------------------------------------------------------------------------
  const Token& cur() const { return toks_[i_]; }
  const Token& look() const { return toks_[std::min(i_ + 1, toks_.size() - 1)]; }
  void advance() {
    if (i_ + 1 < toks_.size()) ++i_;
  }
  bool is_op(const char* op) const { return cur().type == TokenType::Operator && cur().value == op; }
  bool is_name(const char* name) const { return cur().type == TokenType::Name && cur().value == name; }
  bool skip_op(const char* op) {
    if (!is_op(op)) return false;
    advance();
    return true;
  }
  bool skip_name(const char* name) {
    if (!is_name(name)) return false;
    advance();
    return true;
  }

  [[noreturn]] void error(std::size_t offset, const std::string& message) const {
    throw TemplateError(map_.where(offset) + message);
  }
  [[noreturn]] void error_here(const std::string& message) const { error(cur().offset, message); }

  [[noreturn]] void unexpected_end(const char* what) const {
    error_here(std::string("unexpected end of template, expected '") + what + "'.");
  }
  void expect_type(TokenType type, const char* what) {
    if (cur().type == TokenType::End && type != TokenType::End) unexpected_end(what);
    if (cur().type != type) error_here(std::string("expected token '") + what + "', got '" + describe(cur()) + "'");
    advance();
  }
  void expect_op(const char* op) {
    if (cur().type == TokenType::End) unexpected_end(op);
    if (!is_op(op)) error_here(std::string("expected token '") + op + "', got '" + describe(cur()) + "'");
    advance();
  }
  std::string expect_name() {
    if (cur().type == TokenType::End) unexpected_end("name");
    if (cur().type != TokenType::Name) error_here("expected token 'name', got '" + describe(cur()) + "'");
    std::string v = cur().value;
    advance();
    return v;
  }

  // ---- statements ----------------------------------------------------------------------------
  Body subparse(const EndTokens& end_tokens) {
    Body body;
    if (!end_tokens.empty()) end_stack_.push_back(end_tokens);
    while (true) {
      const Token& t = cur();
      if (t.type == TokenType::End) break;
      if (t.type == TokenType::Data) {
        add_text(body, t);
        advance();
      } else if (t.type == TokenType::VariableBegin) {
        auto stmt = std::make_unique<Stmt>(StmtKind::Output, t.offset);
        advance();
        stmt->expr = parse_tuple(true, false, {});
        expect_type(TokenType::VariableEnd, "end of print statement");
        body.push_back(std::move(stmt));
      } else if (t.type == TokenType::BlockBegin) {
        advance();
        if (cur().type == TokenType::Name &&
            std::find(end_tokens.begin(), end_tokens.end(), cur().value) != end_tokens.end()) {
          end_stack_.pop_back();
          return body;
        }
        if (auto stmt = parse_statement()) body.push_back(std::move(stmt));
        expect_type(TokenType::BlockEnd, "end of statement block");
      } else {
        error_here("unexpected '" + describe(t) + "'");
      }
    }
    if (!end_tokens.empty()) end_stack_.pop_back();
    return body;
  }

  static void add_text(Body& body, const Token& t) {
    if (!body.empty() && body.back()->kind == StmtKind::Text) {
      body.back()->text += t.value;
      return;
    }
    auto stmt = std::make_unique<Stmt>(StmtKind::Text, t.offset);
    stmt->text = t.value;
    body.push_back(std::move(stmt));
  }

  /// Parses statements up to one of end_tokens (the cursor stays on that name unless drop).
  Body parse_statements(const EndTokens& end_tokens, bool drop_needle) {
    skip_op(":");
    expect_type(TokenType::BlockEnd, "end of statement block");
    Body body = subparse(end_tokens);
    if (cur().type == TokenType::End) {
      end_stack_.push_back(end_tokens);
      fail_unknown_tag("", cur().offset);
    }
    if (drop_needle) advance();
    return body;
  }

  [[noreturn]] void fail_unknown_tag(const std::string& name, std::size_t offset) const {
    std::string message = name.empty() ? "Unexpected end of template." : "Encountered unknown tag '" + name + "'.";
    if (!end_stack_.empty()) {
      std::string looking;
      for (const auto& e : end_stack_.back()) looking += (looking.empty() ? "'" : " or '") + e + "'";
      bool expected = false;
      for (const auto& tokens : end_stack_)
        expected = expected || std::find(tokens.begin(), tokens.end(), name) != tokens.end();
      if (!name.empty() && expected) {
        message += " You probably made a nesting mistake. Jinja is expecting this tag, but currently looking for " +
                   looking + ".";
      } else {
        message += " Jinja was looking for the following tags: " + looking + ".";
      }
    }
    if (!tag_stack_.empty()) message += " The innermost block that needs to be closed is '" + tag_stack_.back() + "'.";
    error(offset, message);
  }

  StmtPtr parse_statement() {
    const Token& t = cur();
    if (t.type != TokenType::Name) error_here("tag name expected");
    std::string tag = t.value;
    std::size_t at = t.offset;
    Nest nest(*this, at);
    tag_stack_.push_back(tag);
    StmtPtr stmt;
    if (tag == "for") {
      stmt = parse_for(at);
    } else if (tag == "if") {
      stmt = parse_if(at);
    } else if (tag == "set") {
      stmt = parse_set(at);
    } else if (tag == "macro") {
      stmt = parse_macro(at);
    } else if (tag == "filter") {
      stmt = parse_filter_block(at);
    } else if (tag == "with") {
      stmt = parse_with(at);
    } else if (tag == "generation") {
      stmt = parse_simple_block(at, StmtKind::Generation, "endgeneration");
    } else if (tag == "print") {
      advance();
      stmt = std::make_unique<Stmt>(StmtKind::Output, at);
      stmt->expr = parse_tuple(true, false, {});
    } else if (tag == "break" || tag == "continue") {
      advance();
      if (loop_depth_ == 0) error(at, "'" + tag + "' outside loop");
      stmt = std::make_unique<Stmt>(tag == "break" ? StmtKind::Break : StmtKind::Continue, at);
    } else if (tag == "call") {
      stmt = parse_call_block(at);
    } else if (tag == "include" || tag == "extends" || tag == "import" || tag == "from" || tag == "block" ||
               tag == "autoescape") {
      error(at, "tag '" + tag + "' is not supported in chat templates");
    } else {
      tag_stack_.pop_back();
      fail_unknown_tag(tag, at);
    }
    tag_stack_.pop_back();
    return stmt;
  }

  struct HardFrame {  // a new (non-soft) frame: for bodies, macros, block sets, filter blocks
    explicit HardFrame(Parser& p) : p_(p), saved_(p.soft_) { p.soft_ = false; }
    ~HardFrame() { p_.soft_ = saved_; }
    Parser& p_;
    bool saved_;
  };

  StmtPtr parse_for(std::size_t at) {
    advance();
    auto stmt = std::make_unique<Stmt>(StmtKind::For, at);
    stmt->target = parse_assign_target(false, "in");
    if (!skip_name("in")) error_here("expected token 'in', got '" + describe(cur()) + "'");
    stmt->expr = parse_tuple(false, false, {"recursive"});
    {
      HardFrame frame(*this);
      if (skip_name("if")) stmt->condition = parse_expression(true);
      if (is_name("recursive")) error_here("recursive loops are not supported");
      ++loop_depth_;
      stmt->body = parse_statements({"endfor", "else"}, false);
      --loop_depth_;
    }
    std::string end = cur().value;
    advance();
    if (end == "else") stmt->else_body = parse_statements({"endfor"}, true);
    return stmt;
  }

  StmtPtr parse_if(std::size_t at) {
    advance();
    bool saved = soft_;
    soft_ = true;
    auto stmt = std::make_unique<Stmt>(StmtKind::If, at);
    while (true) {
      ExprPtr test = parse_tuple(false, false, {});
      Body body = parse_statements({"elif", "else", "endif"}, false);
      stmt->branches.emplace_back(std::move(test), std::move(body));
      std::string end = cur().value;
      advance();
      if (end == "elif") continue;
      if (end == "else") stmt->else_body = parse_statements({"endif"}, true);
      break;
    }
    soft_ = saved;
    return stmt;
  }

  StmtPtr parse_set(std::size_t at) {
    advance();
    Target target = parse_assign_target(true, "");
    if (skip_op("=")) {
      auto stmt = std::make_unique<Stmt>(StmtKind::Set, at);
      stmt->target = std::move(target);
      stmt->expr = parse_tuple(true, false, {});
      return stmt;
    }
    auto stmt = std::make_unique<Stmt>(StmtKind::SetBlock, at);
    stmt->target = std::move(target);
    HardFrame frame(*this);
    if (is_op("|")) stmt->filter = parse_filter(nullptr, false);
    stmt->body = parse_statements({"endset"}, true);
    return stmt;
  }

  StmtPtr parse_macro(std::size_t at) {
    advance();
    auto stmt = std::make_unique<Stmt>(StmtKind::Macro, at);
    stmt->text = expect_name();
    stmt->target.names.emplace_back(stmt->text, program_.slot(stmt->text));
    HardFrame frame(*this);
    expect_op("(");
    while (!is_op(")")) {
      if (!stmt->params.empty()) expect_op(",");
      MacroParam param;
      param.name = expect_name();
      param.slot = program_.slot(param.name);
      if (skip_op("=")) {
        param.default_value = parse_expression(true);
      } else if (!stmt->params.empty() && stmt->params.back().default_value) {
        error_here("non-default argument follows default argument");
      }
      stmt->params.push_back(std::move(param));
    }
    expect_op(")");
    int saved_loops = loop_depth_;
    loop_depth_ = 0;
    stmt->body = parse_statements({"endmacro"}, true);
    loop_depth_ = saved_loops;
    return stmt;
  }

  StmtPtr parse_call_block(std::size_t at) {
    advance();
    if (is_op("(")) error_here("call blocks with caller arguments are not supported");
    auto stmt = std::make_unique<Stmt>(StmtKind::CallBlock, at);
    stmt->expr = parse_expression(true);
    if (stmt->expr->kind != ExprKind::Call) error(at, "expected call");
    HardFrame frame(*this);
    stmt->body = parse_statements({"endcall"}, true);
    return stmt;
  }

  StmtPtr parse_filter_block(std::size_t at) {
    advance();
    auto stmt = std::make_unique<Stmt>(StmtKind::FilterBlock, at);
    HardFrame frame(*this);
    stmt->filter = parse_filter(nullptr, true);
    stmt->body = parse_statements({"endfilter"}, true);
    return stmt;
  }

  StmtPtr parse_with(std::size_t at) {
    advance();
    auto stmt = std::make_unique<Stmt>(StmtKind::With, at);
    while (cur().type != TokenType::BlockEnd) {
      if (!stmt->assigns.empty()) expect_op(",");
      Target target = parse_assign_target(false, "");
      expect_op("=");
      stmt->assigns.emplace_back(std::move(target), parse_expression(true));
    }
    HardFrame frame(*this);
    stmt->body = parse_statements({"endwith"}, true);
    return stmt;
  }

  StmtPtr parse_simple_block(std::size_t at, StmtKind kind, const char* end) {
    advance();
    auto stmt = std::make_unique<Stmt>(kind, at);
    HardFrame frame(*this);
    stmt->body = parse_statements({end}, true);
    return stmt;
  }

  Target parse_assign_target(bool with_namespace, const std::string& extra_end) {
    Target target;
    if (with_namespace && cur().type == TokenType::Name && look().type == TokenType::Operator && look().value == ".") {
      std::string name = expect_name();
      advance();
      target.names.emplace_back(name, program_.slot(name));
      target.attribute = expect_name();
      return target;
    }
    bool parens = skip_op("(");
    while (true) {
      if (!target.names.empty()) {
        if (!skip_op(",")) break;
        target.tuple = true;
        if ((parens && is_op(")")) || (!extra_end.empty() && is_name(extra_end.c_str())) ||
            cur().type == TokenType::BlockEnd || is_op("="))
          break;
      }
      if (cur().type != TokenType::Name) error_here("can't assign to '" + describe(cur()) + "'");
      std::string name = expect_name();
      if (name == "true" || name == "false" || name == "none" || name == "True" || name == "False" || name == "None")
        error_here("can't assign to 'const'");
      target.names.emplace_back(name, program_.slot(name));
    }
    if (parens) {
      expect_op(")");
      target.tuple = target.tuple || target.names.size() > 1;
    }
    return target;
  }

  // ---- expressions ---------------------------------------------------------------------------
  ExprPtr make(ExprKind kind, std::size_t at) { return std::make_unique<Expr>(kind, at); }

  bool is_tuple_end(const EndTokens& extra_end) const {
    if (cur().type == TokenType::VariableEnd || cur().type == TokenType::BlockEnd || cur().type == TokenType::End)
      return true;
    if (is_op(")")) return true;
    return cur().type == TokenType::Name &&
           std::find(extra_end.begin(), extra_end.end(), cur().value) != extra_end.end();
  }

  ExprPtr parse_tuple(bool with_condexpr, bool explicit_parentheses, const EndTokens& extra_end) {
    std::size_t at = cur().offset;
    std::vector<ExprPtr> items;
    bool is_tuple = false;
    while (true) {
      if (!items.empty()) expect_op(",");
      if (is_tuple_end(extra_end)) break;
      items.push_back(parse_expression(with_condexpr));
      if (is_op(",")) {
        is_tuple = true;
      } else {
        break;
      }
    }
    if (!is_tuple) {
      if (!items.empty()) return std::move(items[0]);
      if (!explicit_parentheses) error_here("Expected an expression, got '" + describe(cur()) + "'");
    }
    auto node = make(ExprKind::Tuple, at);
    node->args = std::move(items);
    return seal(std::move(node));
  }

  ExprPtr parse_expression(bool with_condexpr) { return with_condexpr ? parse_condexpr() : parse_or(); }

  ExprPtr parse_condexpr() {
    std::size_t mark = pending_.size();
    std::size_t at = cur().offset;
    ExprPtr expr1 = parse_or();
    if (!is_name("if")) return expr1;
    bool saved = soft_;
    soft_ = true;
    pending_.resize(mark);
    while (skip_name("if")) {
      auto node = make(ExprKind::CondExpr, at);
      ExprPtr test = parse_or();
      ExprPtr otherwise;
      if (skip_name("else")) {
        Nest nest(*this, cur().offset);
        otherwise = parse_condexpr();
      }
      node->args.push_back(std::move(test));
      node->args.push_back(std::move(expr1));
      node->args.push_back(std::move(otherwise));
      expr1 = seal(std::move(node));
    }
    soft_ = saved;
    return expr1;
  }

  ExprPtr binary(ExprKind kind, std::size_t at, ExprPtr left, ExprPtr right) {
    auto node = make(kind, at);
    node->args.push_back(std::move(left));
    node->args.push_back(std::move(right));
    return seal(std::move(node));
  }

  ExprPtr parse_or() {
    ExprPtr left = parse_and();
    while (is_name("or")) {
      std::size_t at = cur().offset;
      advance();
      left = binary(ExprKind::Or, at, std::move(left), parse_and());
    }
    return left;
  }

  ExprPtr parse_and() {
    ExprPtr left = parse_not();
    while (is_name("and")) {
      std::size_t at = cur().offset;
      advance();
      left = binary(ExprKind::And, at, std::move(left), parse_not());
    }
    return left;
  }

  ExprPtr parse_not() {
    if (is_name("not")) {
      Nest nest(*this, cur().offset);
      auto node = make(ExprKind::Not, cur().offset);
      advance();
      node->args.push_back(parse_not());
      return seal(std::move(node));
    }
    return parse_compare();
  }

  ExprPtr parse_compare() {
    std::size_t at = cur().offset;
    ExprPtr expr = parse_math1();
    ExprPtr node;
    while (true) {
      std::string op;
      if (cur().type == TokenType::Operator &&
          (cur().value == "==" || cur().value == "!=" || cur().value == "<" || cur().value == "<=" ||
           cur().value == ">" || cur().value == ">=")) {
        op = cur().value;
        advance();
      } else if (is_name("in")) {
        op = "in";
        advance();
      } else if (is_name("not") && look().type == TokenType::Name && look().value == "in") {
        op = "notin";
        advance();
        advance();
      } else {
        break;
      }
      if (!node) {
        node = make(ExprKind::Compare, at);
        node->args.push_back(std::move(expr));
      }
      node->ops.push_back(op);
      node->args.push_back(parse_math1());
    }
    return node ? seal(std::move(node)) : std::move(expr);
  }

  ExprPtr parse_binary_level(ExprPtr (Parser::*next)(), const std::vector<std::pair<const char*, BinOp>>& ops) {
    ExprPtr left = (this->*next)();
    while (true) {
      const std::pair<const char*, BinOp>* found = nullptr;
      for (const auto& op : ops)
        if (is_op(op.first)) found = &op;
      if (!found) return left;
      std::size_t at = cur().offset;
      advance();
      ExprPtr right = (this->*next)();
      auto node = binary(ExprKind::Binary, at, std::move(left), std::move(right));
      node->op = found->second;
      left = std::move(node);
    }
  }

  ExprPtr parse_math1() { return parse_binary_level(&Parser::parse_concat, {{"+", BinOp::Add}, {"-", BinOp::Sub}}); }

  ExprPtr parse_concat() {
    std::size_t at = cur().offset;
    ExprPtr first = parse_math2();
    if (!is_op("~")) return first;
    auto node = make(ExprKind::Concat, at);
    node->args.push_back(std::move(first));
    while (skip_op("~")) node->args.push_back(parse_math2());
    return seal(std::move(node));
  }

  ExprPtr parse_math2() {
    return parse_binary_level(&Parser::parse_pow,
                              {{"*", BinOp::Mul}, {"/", BinOp::Div}, {"//", BinOp::FloorDiv}, {"%", BinOp::Mod}});
  }

  ExprPtr parse_pow() { return parse_binary_level(&Parser::parse_unary_filtered, {{"**", BinOp::Pow}}); }
  ExprPtr parse_unary_filtered() { return parse_unary(true); }

  ExprPtr parse_unary(bool with_filter) {
    Nest nest(*this, cur().offset);
    ExprPtr node;
    if (is_op("-") || is_op("+")) {
      node = make(is_op("-") ? ExprKind::Neg : ExprKind::Pos, cur().offset);
      advance();
      node->args.push_back(parse_unary(false));
      node = seal(std::move(node));
    } else {
      node = parse_primary();
    }
    node = parse_postfix(std::move(node));
    if (with_filter) node = parse_filter_expr(std::move(node));
    return node;
  }

  ExprPtr constant(std::size_t at, Value v) {
    auto node = make(ExprKind::Const, at);
    node->constant = std::move(v);
    return node;
  }

  ExprPtr parse_primary() {
    const Token& t = cur();
    std::size_t at = t.offset;
    switch (t.type) {
      case TokenType::Name: {
        std::string v = t.value;
        advance();
        if (v == "true" || v == "True") return constant(at, Value::boolean(true));
        if (v == "false" || v == "False") return constant(at, Value::boolean(false));
        if (v == "none" || v == "None") return constant(at, Value::none());
        auto node = make(ExprKind::Name, at);
        node->name = v;
        node->slot = program_.slot(v);
        return node;
      }
      case TokenType::String: {
        std::string v;
        while (cur().type == TokenType::String) {
          v += cur().value;
          advance();
        }
        try {
          return constant(at, Value::string(std::move(v)));
        } catch (const RenderFail&) {  // longer than Limits::max_string_bytes
          error(at, "string literal too long: more than " + std::to_string(limits_.max_string_bytes) +
                        " bytes (Limits::max_string_bytes)");
        }
      }
      case TokenType::Integer: {
        std::int64_t v = integer_literal(t);
        advance();
        return constant(at, Value::integer(v));
      }
      case TokenType::Float: {
        std::string v = t.value;
        advance();
        return constant(at, Value::floating(std::strtod(v.c_str(), nullptr)));
      }
      default: break;
    }
    if (skip_op("(")) {
      ExprPtr node = parse_tuple(true, true, {});
      expect_op(")");
      return node;
    }
    if (is_op("[")) return parse_list();
    if (is_op("{")) return parse_dict();
    error_here("unexpected '" + describe(t) + "'");
  }

  ExprPtr parse_list() {
    auto node = make(ExprKind::List, cur().offset);
    expect_op("[");
    while (!is_op("]")) {
      if (!node->args.empty()) expect_op(",");
      if (is_op("]")) break;
      node->args.push_back(parse_expression(true));
    }
    expect_op("]");
    return seal(std::move(node));
  }

  ExprPtr parse_dict() {
    auto node = make(ExprKind::Dict, cur().offset);
    expect_op("{");
    while (!is_op("}")) {
      if (!node->args.empty()) expect_op(",");
      if (is_op("}")) break;
      node->args.push_back(parse_expression(true));
      expect_op(":");
      node->args.push_back(parse_expression(true));
    }
    expect_op("}");
    return seal(std::move(node));
  }

  ExprPtr parse_postfix(ExprPtr node) {
    while (true) {
      if (is_op(".") || is_op("[")) {
        node = parse_subscript(std::move(node));
      } else if (is_op("(")) {
        node = parse_call(std::move(node));
      } else {
        return node;
      }
    }
  }

  ExprPtr parse_filter_expr(ExprPtr node) {
    while (true) {
      if (is_op("|")) {
        node = parse_filter(std::move(node), false);
      } else if (is_name("is")) {
        node = parse_test(std::move(node));
      } else if (is_op("(")) {
        node = parse_call(std::move(node));
      } else {
        return node;
      }
    }
  }

  ExprPtr parse_subscript(ExprPtr node) {
    std::size_t at = cur().offset;
    if (skip_op(".")) {
      if (cur().type == TokenType::Name) {
        auto attr = make(ExprKind::GetAttr, at);
        attr->name = cur().value;
        advance();
        attr->args.push_back(std::move(node));
        return seal(std::move(attr));
      }
      if (cur().type != TokenType::Integer) error_here("expected name or number");
      auto item = make(ExprKind::GetItem, at);
      item->args.push_back(std::move(node));
      item->args.push_back(constant(cur().offset, Value::integer(integer_literal(cur()))));
      advance();
      return seal(std::move(item));
    }
    expect_op("[");
    std::vector<ExprPtr> args;
    while (!is_op("]")) {
      if (!args.empty()) expect_op(",");
      args.push_back(parse_subscribed());
    }
    expect_op("]");
    auto item = make(ExprKind::GetItem, at);
    item->args.push_back(std::move(node));
    if (args.size() == 1) {
      item->args.push_back(std::move(args[0]));
    } else {
      auto tuple = make(ExprKind::Tuple, at);
      tuple->args = std::move(args);
      item->args.push_back(seal(std::move(tuple)));
    }
    return seal(std::move(item));
  }

  ExprPtr parse_subscribed() {
    std::size_t at = cur().offset;
    auto slice = make(ExprKind::Slice, at);
    if (!is_op(":")) {
      ExprPtr first = parse_expression(true);
      if (!is_op(":")) return first;
      slice->args.push_back(std::move(first));
      slice->has_slice_part[0] = true;
    }
    advance();  // ':'
    auto optional_part = [&](int index) {
      if (!is_op("]") && !is_op(",") && !is_op(":")) {
        slice->args.push_back(parse_expression(true));
        slice->has_slice_part[index] = true;
      }
    };
    optional_part(1);
    if (skip_op(":")) optional_part(2);
    return seal(std::move(slice));
  }

  void parse_call_args(Expr& node) {
    expect_op("(");
    bool require_comma = false;
    while (!is_op(")")) {
      if (require_comma) {
        expect_op(",");
        if (is_op(")")) break;
      }
      if (is_op("*") || is_op("**")) error_here("*args and **kwargs in calls are not supported");
      if (cur().type == TokenType::Name && look().type == TokenType::Operator && look().value == "=") {
        std::string key = cur().value;
        advance();
        advance();
        node.kwargs.emplace_back(key, parse_expression(true));
      } else {
        if (!node.kwargs.empty()) error_here("invalid syntax for function call expression");
        node.args.push_back(parse_expression(true));
      }
      require_comma = true;
    }
    expect_op(")");
  }

  ExprPtr parse_call(ExprPtr callee) {
    auto node = make(ExprKind::Call, callee->offset);
    node->args.push_back(std::move(callee));
    parse_call_args(*node);
    return seal(std::move(node));
  }

  std::string parse_dotted_name() {
    std::string name = expect_name();
    while (skip_op(".")) name += "." + expect_name();
    return name;
  }

  void note_unknown(const std::string& kind, const std::string& name, std::size_t at) {
    if (!soft_) pending_.emplace_back("No " + kind + " named '" + name + "'.", at);
  }

  ExprPtr parse_filter(ExprPtr input, bool start_inline) {
    while (is_op("|") || start_inline) {
      if (!start_inline) advance();
      start_inline = false;
      std::size_t at = cur().offset;
      auto node = make(ExprKind::Filter, at);
      node->name = parse_dotted_name();
      node->filter = find_filter(node->name);
      if (!node->filter) note_unknown("filter", node->name, at);
      node->args.push_back(std::move(input));
      if (is_op("(")) parse_call_args(*node);
      input = seal(std::move(node));
    }
    return input;
  }

  ExprPtr parse_test(ExprPtr input) {
    advance();  // 'is'
    auto node = make(ExprKind::Test, cur().offset);
    if (skip_name("not")) node->negated = true;
    std::size_t at = cur().offset;
    node->name = parse_dotted_name();
    node->test = find_test(node->name);
    if (!node->test) note_unknown("test", node->name, at);
    node->args.push_back(std::move(input));
    TokenType t = cur().type;
    if (is_op("(")) {
      parse_call_args(*node);
    } else if ((t == TokenType::Name || t == TokenType::String || t == TokenType::Integer || t == TokenType::Float ||
                is_op("[") || is_op("{")) &&
               !is_name("else") && !is_name("or") && !is_name("and")) {
      if (is_name("is")) error_here("You cannot chain multiple tests with is");
      node->args.push_back(parse_postfix(parse_primary()));
    }
    return seal(std::move(node));
  }
};

}  // namespace

Program parse(const std::vector<Token>& tokens, const SourceMap& map, const Limits& limits) {
  Program program;
  Parser parser(tokens, map, program, limits);
  program.body = parser.parse_template();
  return program;
}

}  // namespace ftcore::tmpl
