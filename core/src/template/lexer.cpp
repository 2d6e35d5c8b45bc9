#include "template/lexer.hpp"

#include <algorithm>
#include <cstring>

#include "template/jinja.hpp"
#include "template/unicode.hpp"

namespace ftcore::tmpl {

SourceMap::SourceMap(const std::string& source, std::string name) : name_(std::move(name)) {
  line_starts_.push_back(0);
  for (std::size_t k = 0; k < source.size(); ++k)
    if (source[k] == '\n') line_starts_.push_back(k + 1);
}

std::string SourceMap::where(std::size_t offset) const {
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  std::size_t line = static_cast<std::size_t>(it - line_starts_.begin());
  std::size_t column = offset - line_starts_[line - 1] + 1;
  return name_ + ":" + std::to_string(line) + ":" + std::to_string(column) + ": ";
}

std::string normalize_source(const std::string& source) {
  std::string out;
  out.reserve(source.size());
  for (std::size_t k = 0; k < source.size(); ++k) {
    if (source[k] == '\r') {
      out += '\n';
      if (k + 1 < source.size() && source[k + 1] == '\n') ++k;
    } else {
      out += source[k];
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

namespace {

bool is_ascii_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || is_digit(c); }

/// True when s[from:] is non-empty and all Python whitespace (re `\s+` fullmatch).
bool all_space(const std::string& s, std::size_t from) {
  if (from >= s.size()) return false;
  for (std::size_t pos = from; pos < s.size();)
    if (!unicode::is_space(unicode::next(s, pos))) return false;
  return true;
}

class Lexer {
 public:
  Lexer(const std::string& src, const SourceMap& map) : src_(src), map_(map) {}

  std::vector<Token> run() {
    while (pos_ < src_.size()) {
      std::size_t tag = find_tag(pos_);
      if (tag == std::string::npos) {
        emit(TokenType::Data, src_.substr(pos_), pos_);
        break;
      }
      lex_tag_at(tag);
    }
    emit(TokenType::End, "", src_.size());
    return std::move(tokens_);
  }

 private:
  const std::string& src_;
  const SourceMap& map_;
  std::size_t pos_ = 0;
  bool line_starting_ = true;
  std::vector<Token> tokens_;
  std::vector<char> balance_;

  [[noreturn]] void error(std::size_t at, const std::string& message) const {
    throw TemplateError(map_.where(at) + message);
  }

  void emit(TokenType type, std::string value, std::size_t offset) {
    if (type == TokenType::Data && value.empty()) return;
    tokens_.push_back(Token{type, std::move(value), offset});
  }

  bool at(std::size_t p, const char* s) const { return src_.compare(p, std::strlen(s), s) == 0; }

  std::size_t find_tag(std::size_t from) const {
    for (std::size_t p = src_.find('{', from); p != std::string::npos; p = src_.find('{', p + 1)) {
      if (p + 1 < src_.size() && (src_[p + 1] == '{' || src_[p + 1] == '%' || src_[p + 1] == '#')) return p;
    }
    return std::string::npos;
  }

  std::size_t skip_space(std::size_t p) const {
    while (p < src_.size() && is_ascii_space(src_[p])) ++p;
    return p;
  }

  /// Applies '-' stripping or lstrip_blocks to the text before a tag, then emits it.
  void emit_text(std::size_t begin, std::size_t end, char sign, bool is_variable) {
    std::string text = src_.substr(begin, end - begin);
    if (sign == '-') {
      text = unicode::strip(text, nullptr, false, true);
    } else if (sign != '+' && !is_variable) {
      std::size_t l_pos = text.rfind('\n');
      l_pos = l_pos == std::string::npos ? 0 : l_pos + 1;
      if ((l_pos > 0 || line_starting_) && all_space(text, l_pos)) text.resize(l_pos);
    }
    emit(TokenType::Data, std::move(text), begin);
  }

  /// End of `{%-? raw -?%}` starting at tag, or npos.
  std::size_t match_raw_begin(std::size_t tag) const {
    std::size_t p = tag + 2;
    if (p < src_.size() && (src_[p] == '-' || src_[p] == '+')) ++p;
    p = skip_space(p);
    if (!at(p, "raw")) return std::string::npos;
    p = skip_space(p + 3);
    if (at(p, "-%}")) return skip_space(p + 3);
    if (at(p, "%}")) return p + 2;
    return std::string::npos;
  }

  void lex_tag_at(std::size_t tag) {
    char kind = src_[tag + 1];
    std::size_t after = tag + 2;
    char sign = after < src_.size() && (src_[after] == '-' || src_[after] == '+') ? src_[after] : 0;
    std::size_t raw_end = kind == '%' ? match_raw_begin(tag) : std::string::npos;
    emit_text(pos_, tag, sign, kind == '{');
    if (raw_end != std::string::npos) {
      line_starting_ = src_[raw_end - 1] == '\n';
      lex_raw(raw_end, tag);
    } else if (kind == '#') {
      lex_comment(after + (sign ? 1 : 0), tag);
    } else {
      emit(kind == '%' ? TokenType::BlockBegin : TokenType::VariableBegin, "", tag);
      lex_inside(after + (sign ? 1 : 0), kind == '%');
    }
  }

  /// Length of `{%-? endraw ...%}` at p, or 0; also reports its sign.
  std::size_t match_endraw(std::size_t p, char& sign) const {
    if (!at(p, "{%")) return 0;
    std::size_t q = p + 2;
    sign = 0;
    if (q < src_.size() && (src_[q] == '-' || src_[q] == '+')) sign = src_[q++];
    q = skip_space(q);
    if (!at(q, "endraw")) return 0;
    q = skip_space(q + 6);
    std::size_t end = block_end_at(q);
    return end ? end - p : 0;
  }

  /// End offset of a block end (`+%}`, `-%}\s*`, `%}\n?`) at p, or 0.
  std::size_t block_end_at(std::size_t p) const {
    if (at(p, "+%}")) return p + 3;
    if (at(p, "-%}")) return skip_space(p + 3);
    if (at(p, "%}")) return p + 2 + (p + 2 < src_.size() && src_[p + 2] == '\n' ? 1 : 0);
    return 0;
  }

  void lex_raw(std::size_t content, std::size_t tag) {
    for (std::size_t p = src_.find("{%", content); p != std::string::npos; p = src_.find("{%", p + 1)) {
      char sign = 0;
      std::size_t len = match_endraw(p, sign);
      if (!len) continue;
      emit_text(content, p, sign, false);
      pos_ = p + len;
      line_starting_ = src_[pos_ - 1] == '\n';
      return;
    }
    error(tag, "Missing end of raw directive");
  }

  void lex_comment(std::size_t body, std::size_t tag) {
    for (std::size_t p = body; p < src_.size(); ++p) {
      std::size_t end = 0;
      if (at(p, "+#}")) {
        end = p + 3;
      } else if (at(p, "-#}")) {
        end = skip_space(p + 3);
      } else if (at(p, "#}")) {
        end = p + 2 + (p + 2 < src_.size() && src_[p + 2] == '\n' ? 1 : 0);
      }
      if (end) {
        pos_ = end;
        line_starting_ = src_[end - 1] == '\n';
        return;
      }
    }
    error(tag, "Missing end of comment tag");
  }

  /// End offset of the tag's closing delimiter at p, or 0.
  std::size_t tag_end_at(std::size_t p, bool block) const {
    if (block) return block_end_at(p);
    if (at(p, "-}}")) return skip_space(p + 3);
    if (at(p, "}}")) return p + 2;
    return 0;
  }

  void lex_inside(std::size_t p, bool block) {
    balance_.clear();
    while (p < src_.size()) {
      if (balance_.empty()) {
        if (std::size_t end = tag_end_at(p, block)) {
          emit(block ? TokenType::BlockEnd : TokenType::VariableEnd, "", p);
          pos_ = end;
          line_starting_ = src_[end - 1] == '\n';
          return;
        }
      }
      if (is_ascii_space(src_[p])) {
        p = skip_space(p);
        continue;
      }
      p = lex_token(p);
    }
    pos_ = src_.size();
  }

  std::size_t digits(std::size_t p) const {  // (\d+_)*\d+ ; returns end or p when no match
    std::size_t q = p;
    if (q >= src_.size() || !is_digit(src_[q])) return p;
    while (true) {
      while (q < src_.size() && is_digit(src_[q])) ++q;
      if (q + 1 < src_.size() && src_[q] == '_' && is_digit(src_[q + 1])) {
        ++q;
        continue;
      }
      return q;
    }
  }

  std::size_t exponent(std::size_t p) const {  // e[+-]?digits ; returns end or p
    if (p >= src_.size() || (src_[p] != 'e' && src_[p] != 'E')) return p;
    std::size_t q = p + 1;
    if (q < src_.size() && (src_[q] == '+' || src_[q] == '-')) ++q;
    std::size_t end = digits(q);
    return end == q ? p : end;
  }

  std::size_t lex_number(std::size_t p) {
    std::size_t int_end = digits(p);
    std::size_t end = int_end;
    bool is_float = false;
    if (int_end < src_.size() && src_[int_end] == '.') {
      std::size_t frac_end = digits(int_end + 1);
      if (frac_end > int_end + 1) {
        end = frac_end;
        is_float = true;
      }
    }
    std::size_t exp_end = exponent(end);
    if (exp_end > end) {
      end = exp_end;
      is_float = true;
    }
    std::string text;
    for (std::size_t k = p; k < end; ++k)
      if (src_[k] != '_') text += src_[k];
    emit(is_float ? TokenType::Float : TokenType::Integer, std::move(text), p);
    return end;
  }

  std::size_t lex_token(std::size_t p) {
    char c = src_[p];
    bool after_dot = p > 0 && src_[p - 1] == '.';
    if (is_digit(c) && !after_dot) return lex_number(p);
    if (is_digit(c)) {  // `a.0.5` lexes the digits as integers
      std::size_t end = digits(p);
      emit(TokenType::Integer, src_.substr(p, end - p), p);
      return end;
    }
    if (is_name_start(c)) {
      std::size_t q = p;
      while (q < src_.size() && is_name_char(src_[q])) ++q;
      emit(TokenType::Name, src_.substr(p, q - p), p);
      return q;
    }
    if (c == '\'' || c == '"') return lex_string(p);
    return lex_operator(p);
  }

  std::size_t lex_string(std::size_t p) {
    char quote = src_[p];
    std::size_t q = p + 1;
    while (q < src_.size() && src_[q] != quote) q += src_[q] == '\\' ? 2 : 1;
    if (q >= src_.size()) error(p, "unexpected char " + char_repr(src_.substr(p, 1)) + " at " + std::to_string(p));
    emit(TokenType::String, decode_escapes(src_.substr(p + 1, q - p - 1)), p);
    return q + 1;
  }

  static std::string char_repr(const std::string& c) { return c == "'" ? "\"'\"" : "'" + c + "'"; }

  static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  /// Python unicode-escape decoding of a string literal body.
  std::string decode_escapes(const std::string& s) const {
    std::string out;
    for (std::size_t k = 0; k < s.size(); ++k) {
      if (s[k] != '\\' || k + 1 >= s.size()) {
        out += s[k];
        continue;
      }
      char e = s[++k];
      switch (e) {
        case '\n': break;
        case '\\': out += '\\'; break;
        case '\'': out += '\''; break;
        case '"': out += '"'; break;
        case 'a': out += '\a'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'v': out += '\v'; break;
        case 'x': case 'u': case 'U': {
          std::size_t width = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          char32_t cp = 0;
          std::size_t n = 0;
          while (n < width && k + 1 + n < s.size() && hex_value(s[k + 1 + n]) >= 0)
            cp = cp * 16 + static_cast<char32_t>(hex_value(s[k + 1 + n++]));
          if (n != width) {
            out += '\\';
            out += e;
            break;
          }
          unicode::append(out, cp);
          k += width;
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            char32_t cp = 0;
            std::size_t n = 0;
            while (n < 3 && k + n < s.size() && s[k + n] >= '0' && s[k + n] <= '7') cp = cp * 8 + (s[k + n++] - '0');
            unicode::append(out, cp);
            k += n - 1;
          } else {
            out += '\\';
            out += e;
          }
      }
    }
    return out;
  }

  std::size_t lex_operator(std::size_t p) {
    static const char* two[] = {"//", "**", "==", "!=", ">=", "<="};
    for (const char* op : two)
      if (at(p, op)) {
        emit(TokenType::Operator, op, p);
        return p + 2;
      }
    char c = src_[p];
    if (!std::strchr("+-/*%~[](){}><=.:|,;", c)) {
      std::size_t q = p;
      unicode::next(src_, q);
      error(p, "unexpected char " + char_repr(src_.substr(p, q - p)) + " at " + std::to_string(p));
    }
    track_balance(c, p);
    emit(TokenType::Operator, std::string(1, c), p);
    return p + 1;
  }

  void track_balance(char c, std::size_t p) {
    if (c == '{') balance_.push_back('}');
    if (c == '(') balance_.push_back(')');
    if (c == '[') balance_.push_back(']');
    if (c == '}' || c == ')' || c == ']') {
      if (balance_.empty()) error(p, std::string("unexpected '") + c + "'");
      char expected = balance_.back();
      balance_.pop_back();
      if (expected != c) error(p, std::string("unexpected '") + c + "', expected '" + expected + "'");
    }
  }
};

}  // namespace

std::vector<Token> tokenize(const std::string& source, const SourceMap& map) { return Lexer(source, map).run(); }

}  // namespace ftcore::tmpl
