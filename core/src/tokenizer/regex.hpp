// PCRE2 (UTF + UCP, JIT when available) behind the matching semantics tokenizers gets from
// Oniguruma: find_all walks non-overlapping matches left to right and, like the Rust `onig`
// crate, drops an empty match that touches the end of the previous match.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ftcore::tok {

class Regex {
 public:
  enum class Syntax {
    Onig,     // a pattern written for tokenizers (Oniguruma): \s \S \w \W get Onig's meaning
    Pcre2,    // native PCRE2 syntax
    Literal,  // the pattern is matched as a literal string
  };
  // Throws TokenizerError naming the pattern and the compile error.
  Regex(const std::string& pattern, Syntax syntax);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // Appends the [start, end) byte ranges of all matches in `subject` (valid UTF-8) to `out`.
  void find_all(std::string_view subject, std::vector<std::pair<std::size_t, std::size_t>>& out) const;
  bool matches_at_start(std::string_view subject) const;
  const std::string& pattern() const { return pattern_; }

 private:
  // Returns false when there is no match at or after `from`.
  bool search(std::string_view subject, std::size_t from, std::size_t& start, std::size_t& end) const;

  std::string pattern_;
  void* code_ = nullptr;  // pcre2_code_8*
  bool jit_ = false;
};

// Rewrites an Oniguruma pattern so PCRE2 gives its classes the meaning Onig gives them in UTF-8
// mode: \s is White_Space (incl. U+0085), \w is letters, marks, numbers and connector punctuation.
std::string onig_to_pcre2(const std::string& pattern);

}  // namespace ftcore::tok
