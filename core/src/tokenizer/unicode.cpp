#include "tokenizer/unicode.hpp"

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <unordered_map>

#include <utf8proc.h>

#include "tokenizer/regex.hpp"
#include "tokenizer/tokenizer.hpp"

namespace ftcore::tok::uni {

std::size_t char_len(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xE) return 3;
  return 4;
}

char32_t decode_at(std::string_view s, std::size_t i, std::size_t& len) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  len = char_len(b0);
  auto cont = [&](std::size_t k) { return static_cast<char32_t>(static_cast<unsigned char>(s[i + k]) & 0x3F); };
  switch (len) {
    case 1: return b0;
    case 2: return (static_cast<char32_t>(b0 & 0x1F) << 6) | cont(1);
    case 3: return (static_cast<char32_t>(b0 & 0x0F) << 12) | (cont(1) << 6) | cont(2);
    default: return (static_cast<char32_t>(b0 & 0x07) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3);
  }
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 when invalid; `bad` gets the length of the
// maximal invalid subpart (at least 1) in that case (the WHATWG / Rust lossy rule).
std::size_t valid_seq_len(std::string_view s, std::size_t i, std::size_t& bad) {
  const auto at = [&](std::size_t k) -> int {
    return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : -1;
  };
  const int b0 = at(0);
  bad = 1;
  if (b0 < 0x80) return 1;
  int need = 0;
  int lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  for (int k = 1; k <= need; ++k) {
    const int b = at(static_cast<std::size_t>(k));
    const int l = k == 1 ? lo : 0x80;
    const int h = k == 1 ? hi : 0xBF;
    if (b < l || b > h) {
      bad = static_cast<std::size_t>(k);
      return 0;
    }
  }
  return static_cast<std::size_t>(need + 1);
}

}  // namespace

std::size_t find_invalid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    std::size_t bad = 0;
    const std::size_t n = valid_seq_len(s, i, bad);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

std::string from_utf8_lossy(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  std::size_t i = 0;
  while (i < bytes.size()) {
    std::size_t bad = 0;
    const std::size_t n = valid_seq_len(bytes, i, bad);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      i += bad;
    } else {
      out.append(bytes.substr(i, n));
      i += n;
    }
  }
  return out;
}

bool is_whitespace(char32_t c) {
  if (c <= 0x20) return c == 0x20 || (c >= 0x09 && c <= 0x0D);
  if (c < 0x85) return false;
  switch (c) {
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F:
    case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

namespace {
utf8proc_category_t category(char32_t c) {
  return static_cast<utf8proc_category_t>(utf8proc_category(static_cast<utf8proc_int32_t>(c)));
}
}  // namespace

bool is_numeric(char32_t c) {
  if (c < 0x80) return c >= '0' && c <= '9';
  const auto cat = category(c);
  return cat == UTF8PROC_CATEGORY_ND || cat == UTF8PROC_CATEGORY_NL || cat == UTF8PROC_CATEGORY_NO;
}

bool is_mark_nonspacing(char32_t c) { return c >= 0x300 && category(c) == UTF8PROC_CATEGORY_MN; }

bool is_regex_word_char(char32_t c) {
  if (c < 0x80) return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_';
  // Alphabetic includes Other_Alphabetic, which utf8proc does not expose; PCRE2 knows it.
  static const Regex word("^[\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\x{200C}\\x{200D}]", Regex::Syntax::Pcre2);
  std::string buf;
  append_utf8(buf, c);
  return word.matches_at_start(buf);
}

bool is_punctuation(char32_t c) {
  if (c < 0x80) {
    return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
           (c >= 0x7B && c <= 0x7E);
  }
  switch (category(c)) {
    case UTF8PROC_CATEGORY_PC: case UTF8PROC_CATEGORY_PD: case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE: case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
      return true;
    default:
      return false;
  }
}

namespace {
bool is_ascii(std::string_view s) {
  for (char ch : s) {
    if (static_cast<unsigned char>(ch) >= 0x80) return false;
  }
  return true;
}
}  // namespace

std::string normalize(std::string_view s, NormalForm form) {
  if (is_ascii(s)) return std::string(s);
  int options = UTF8PROC_STABLE;
  switch (form) {
    case NormalForm::NFC: options |= UTF8PROC_COMPOSE; break;
    case NormalForm::NFD: options |= UTF8PROC_DECOMPOSE; break;
    case NormalForm::NFKC: options |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT; break;
    case NormalForm::NFKD: options |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT; break;
  }
  utf8proc_uint8_t* dst = nullptr;
  const utf8proc_ssize_t n =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()),
                   static_cast<utf8proc_ssize_t>(s.size()), &dst, static_cast<utf8proc_option_t>(options));
  if (n < 0) {
    throw TokenizerError(std::string("unicode normalization failed: ") +
                         utf8proc_errmsg(n));
  }
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> guard(dst, &std::free);
  return std::string(reinterpret_cast<const char*>(dst), static_cast<std::size_t>(n));
}

namespace {

int combining_class(char32_t c) {
  return utf8proc_get_property(static_cast<utf8proc_int32_t>(c))->combining_class;
}

// The crate's compose(a, b): the primary composite of the pair, or 0.
char32_t compose_pair(char32_t a, char32_t b) {
  utf8proc_int32_t pair[2] = {static_cast<utf8proc_int32_t>(a), static_cast<utf8proc_int32_t>(b)};
  const utf8proc_ssize_t n =
      utf8proc_normalize_utf32(pair, 2, static_cast<utf8proc_option_t>(UTF8PROC_COMPOSE | UTF8PROC_STABLE));
  return n == 1 ? static_cast<char32_t>(pair[0]) : 0;
}

struct Decomposed {
  int ccc;
  CharChange cc;
};

// Decompositions::next: each char's full decomposition (changes 0, 1, 1, ...), then a stable sort
// by combining class of every block that a starter (class 0) closes.
void decompose_changes(std::string_view s, bool compat, std::vector<Decomposed>& out) {
  int options = UTF8PROC_DECOMPOSE;
  if (compat) options |= UTF8PROC_COMPAT;
  std::size_t ready = 0;  // start of the block not yet in canonical order
  auto sort_pending = [&] {
    std::stable_sort(out.begin() + static_cast<std::ptrdiff_t>(ready), out.end(),
                     [](const Decomposed& a, const Decomposed& b) { return a.ccc < b.ccc; });
    ready = out.size();
  };
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t len = 0;
    const char32_t c = decode_at(s, i, len);
    i += len;
    utf8proc_int32_t buffer[32];
    int boundclass = 0;
    utf8proc_ssize_t n = utf8proc_decompose_char(static_cast<utf8proc_int32_t>(c), buffer, 32,
                                                 static_cast<utf8proc_option_t>(options), &boundclass);
    if (n < 0 || n > 32) {
      n = 1;
      buffer[0] = static_cast<utf8proc_int32_t>(c);
    }
    for (utf8proc_ssize_t k = 0; k < n; ++k) {
      const auto d = static_cast<char32_t>(buffer[k]);
      const int ccc = combining_class(d);
      if (ccc == 0) sort_pending();
      out.push_back(Decomposed{ccc, CharChange{d, k == 0 ? 0 : 1}});
    }
  }
  sort_pending();
}

// Recompositions::next, step by step.
void recompose_changes(const std::vector<Decomposed>& in, std::vector<CharChange>& out) {
  std::vector<CharChange> buffer;  // blocked marks after the composee
  bool has_composee = false;
  CharChange composee{0, 0};
  int last_ccc = -1;  // -1: None
  for (const auto& [ccc, cc] : in) {
    if (!has_composee) {
      if (ccc != 0) {
        out.push_back(cc);
        continue;
      }
      composee = cc;
      has_composee = true;
      continue;
    }
    if (last_ccc < 0) {
      if (const char32_t r = compose_pair(composee.c, cc.c)) {
        composee = CharChange{r, composee.change + cc.change - 1};
        continue;
      }
      if (ccc == 0) {
        out.push_back(composee);
        composee = cc;
        continue;
      }
      buffer.push_back(cc);
      last_ccc = ccc;
      continue;
    }
    if (last_ccc >= ccc) {  // blocked from the composee
      if (ccc == 0) {
        out.push_back(composee);
        out.insert(out.end(), buffer.begin(), buffer.end());
        buffer.clear();
        composee = cc;
        last_ccc = -1;
        continue;
      }
      buffer.push_back(cc);
      last_ccc = ccc;
      continue;
    }
    if (const char32_t r = compose_pair(composee.c, cc.c)) {
      composee = CharChange{r, composee.change + cc.change - 1};
      continue;
    }
    buffer.push_back(cc);
    last_ccc = ccc;
  }
  if (has_composee) out.push_back(composee);
  out.insert(out.end(), buffer.begin(), buffer.end());
}

}  // namespace

void normalize_changes(std::string_view s, NormalForm form, std::vector<CharChange>& out) {
  out.clear();
  thread_local std::vector<Decomposed> decomposed;
  decomposed.clear();
  const bool compat = form == NormalForm::NFKC || form == NormalForm::NFKD;
  decompose_changes(s, compat, decomposed);
  if (form == NormalForm::NFD || form == NormalForm::NFKD) {
    for (const auto& d : decomposed) out.push_back(d.cc);
    return;
  }
  recompose_changes(decomposed, out);
}

void append_lowercase(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
  } else if (c == 0x130) {  // the one unconditional multi-char lowercase mapping
    out += "i\xCC\x87";
  } else {
    append_utf8(out, static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c))));
  }
}

std::string lowercase(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      out.push_back(static_cast<char>(b >= 'A' && b <= 'Z' ? b + 32 : b));
      ++i;
      continue;
    }
    std::size_t len = 0;
    const char32_t c = decode_at(s, i, len);
    i += len;
    append_lowercase(out, c);
  }
  return out;
}

namespace {
struct ByteTables {
  std::array<std::string, 256> to_unicode;
  std::unordered_map<char32_t, int> to_byte;
  ByteTables() {
    int n = 0;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      const char32_t cp = printable ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + n++);
      append_utf8(to_unicode[static_cast<std::size_t>(b)], cp);
      to_byte[cp] = b;
    }
  }
};
const ByteTables& tables() {
  static const ByteTables t;
  return t;
}
}  // namespace

const std::array<std::string, 256>& byte_to_unicode() { return tables().to_unicode; }

int unicode_to_byte(char32_t c) {
  const auto& m = tables().to_byte;
  const auto it = m.find(c);
  return it == m.end() ? -1 : it->second;
}

}  // namespace ftcore::tok::uni
