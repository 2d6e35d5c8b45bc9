#include "template/unicode.hpp"

#include <utf8proc.h>

#include <algorithm>
#include <cstdint>

#include "template/value.hpp"

namespace ftcore::tmpl::unicode {

char32_t next(std::string_view s, std::size_t& pos) {
  auto c = static_cast<unsigned char>(s[pos]);
  if (c < 0x80) {
    ++pos;
    return c;
  }
  int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
  if (extra == 0 || pos + extra >= s.size()) {
    ++pos;
    return c;
  }
  char32_t cp = c & (0x3F >> extra);
  for (int k = 1; k <= extra; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[pos + k]) & 0x3F);
  pos += extra + 1;
  return cp;
}

void append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::vector<char32_t> decode(std::string_view s) {
  charge_bytes(s.size());
  std::vector<char32_t> out;
  out.reserve(s.size());
  for (std::size_t pos = 0; pos < s.size();) out.push_back(next(s, pos));
  return out;
}

std::string encode(const std::vector<char32_t>& cps) {
  std::string out;
  out.reserve(cps.size());
  for (char32_t cp : cps) append(out, cp);
  return out;
}

bool is_ascii(std::string_view s) {
  charge_bytes(s.size());
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

std::size_t length(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

bool is_space(char32_t cp) {
  switch (cp) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x1C: case 0x1D: case 0x1E:
    case 0x1F: case 0x20: case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029:
    case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

static utf8proc_category_t category(char32_t cp) {
  return utf8proc_category(static_cast<utf8proc_int32_t>(cp));
}

bool is_printable(char32_t cp) {
  if (cp == ' ') return true;
  switch (category(cp)) {
    case UTF8PROC_CATEGORY_CC: case UTF8PROC_CATEGORY_CF: case UTF8PROC_CATEGORY_CS:
    case UTF8PROC_CATEGORY_CO: case UTF8PROC_CATEGORY_CN: case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP: case UTF8PROC_CATEGORY_ZS:
      return false;
    default:
      return true;
  }
}

bool is_upper(char32_t cp) { return category(cp) == UTF8PROC_CATEGORY_LU || category(cp) == UTF8PROC_CATEGORY_LT; }
bool is_lower(char32_t cp) { return category(cp) == UTF8PROC_CATEGORY_LL; }
bool is_cased(char32_t cp) { return is_upper(cp) || is_lower(cp); }
bool is_alpha(char32_t cp) {
  auto c = category(cp);
  return c == UTF8PROC_CATEGORY_LU || c == UTF8PROC_CATEGORY_LL || c == UTF8PROC_CATEGORY_LT ||
         c == UTF8PROC_CATEGORY_LM || c == UTF8PROC_CATEGORY_LO;
}
bool is_digit(char32_t cp) { return category(cp) == UTF8PROC_CATEGORY_ND; }
bool is_alnum(char32_t cp) { return is_alpha(cp) || is_digit(cp); }

static char32_t upper(char32_t cp) {
  if (cp < 0x80) return (cp >= 'a' && cp <= 'z') ? cp - 32 : cp;
  return static_cast<char32_t>(utf8proc_toupper(static_cast<utf8proc_int32_t>(cp)));
}
static char32_t lower(char32_t cp) {
  if (cp < 0x80) return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
  return static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(cp)));
}
static void append_upper(std::string& out, char32_t cp) {
  if (cp == 0xDF) {  // German sharp s upper-cases to "SS" in Python
    out += "SS";
    return;
  }
  append(out, upper(cp));
}

std::string to_upper(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t pos = 0; pos < s.size();) append_upper(out, next(s, pos));
  return out;
}

std::string to_lower(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t pos = 0; pos < s.size();) append(out, lower(next(s, pos)));
  return out;
}

std::string capitalize(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool first = true;
  for (std::size_t pos = 0; pos < s.size();) {
    char32_t cp = next(s, pos);
    if (first) {
      char32_t t = static_cast<char32_t>(utf8proc_totitle(static_cast<utf8proc_int32_t>(cp)));
      append(out, t);
    } else {
      append(out, lower(cp));
    }
    first = false;
  }
  return out;
}

std::string title(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool previous_cased = false;
  for (std::size_t pos = 0; pos < s.size();) {
    char32_t cp = next(s, pos);
    if (previous_cased) {
      append(out, lower(cp));
    } else {
      append(out, static_cast<char32_t>(utf8proc_totitle(static_cast<utf8proc_int32_t>(cp))));
    }
    previous_cased = is_cased(cp);
  }
  return out;
}

std::string strip(std::string_view s, const std::string* chars, bool left, bool right) {
  std::vector<char32_t> set;
  if (chars) {
    set = decode(*chars);
    std::sort(set.begin(), set.end());  // a binary search: a long `chars` must not make this quadratic
  }
  auto strip_it = [&](char32_t cp) {
    return chars ? std::binary_search(set.begin(), set.end(), cp) : is_space(cp);
  };
  std::size_t begin = 0;
  std::size_t end = s.size();
  if (left) {
    while (begin < end) {
      std::size_t pos = begin;
      if (!strip_it(next(s, pos))) break;
      begin = pos;
    }
  }
  if (right) {
    while (end > begin) {
      std::size_t start = end - 1;
      while (start > begin && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
      std::size_t pos = start;
      if (!strip_it(next(s, pos))) break;
      end = start;
    }
  }
  return std::string(s.substr(begin, end - begin));
}

namespace {

constexpr std::size_t kShortNeedle = 16;  // std::string_view search is fine below this

/// Knuth-Morris-Pratt failure function of the needle read forwards or backwards.
std::vector<std::uint32_t> kmp_table(std::string_view p, bool backwards) {
  auto at = [&](std::size_t i) { return backwards ? p[p.size() - 1 - i] : p[i]; };
  std::vector<std::uint32_t> table(p.size(), 0);
  for (std::size_t i = 1, k = 0; i < p.size(); ++i) {
    while (k && at(i) != at(k)) k = table[k - 1];
    if (at(i) == at(k)) ++k;
    table[i] = static_cast<std::uint32_t>(k);
  }
  return table;
}

}  // namespace

std::size_t find(std::string_view s, std::string_view needle, std::size_t from) {
  if (from > s.size()) return std::string_view::npos;
  std::size_t hit;
  if (needle.size() <= kShortNeedle) {
    hit = s.find(needle, from);
  } else {
    hit = std::string_view::npos;
    std::vector<std::uint32_t> table = kmp_table(needle, false);
    for (std::size_t i = from, k = 0; i < s.size(); ++i) {
      while (k && s[i] != needle[k]) k = table[k - 1];
      if (s[i] == needle[k]) ++k;
      if (k == needle.size()) {
        hit = i + 1 - needle.size();
        break;
      }
    }
  }
  charge_bytes((hit == std::string_view::npos ? s.size() : hit) - from);
  return hit;
}

std::size_t rfind(std::string_view s, std::string_view needle, std::size_t end) {
  end = std::min(end, s.size());
  if (needle.size() > end) return std::string_view::npos;
  std::size_t hit;
  if (needle.size() <= kShortNeedle) {
    hit = s.rfind(needle, end - needle.size());
  } else {
    hit = std::string_view::npos;
    const std::size_t m = needle.size();
    std::vector<std::uint32_t> table = kmp_table(needle, true);
    for (std::size_t j = 0, k = 0; j < end; ++j) {
      char c = s[end - 1 - j];
      while (k && c != needle[m - 1 - k]) k = table[k - 1];
      if (c == needle[m - 1 - k]) ++k;
      if (k == m) {
        hit = end - 1 - j;
        break;
      }
    }
  }
  charge_bytes(end - (hit == std::string_view::npos ? 0 : hit));
  return hit;
}

std::string replace(std::string_view s, const std::string& old_s, const std::string& new_s, long long count) {
  std::string out;
  long long done = 0;
  if (new_s.size() > old_s.size()) {
    // A result longer than the input: its size first, so that a huge one fails before it is built.
    std::size_t hits = 0;
    if (old_s.empty()) {
      std::size_t slots = length(s) + 1;
      hits = count < 0 ? slots : std::min<std::size_t>(slots, static_cast<std::size_t>(count));
    } else {
      for (std::size_t pos = 0; count < 0 || hits < static_cast<std::size_t>(count); ++hits) {
        std::size_t hit = find(s, old_s, pos);
        if (hit == std::string_view::npos) break;
        pos = hit + old_s.size();
      }
    }
    std::size_t size = size_add(s.size(), size_mul(hits, new_s.size() - old_s.size()));
    check_string_size(size, "replace");
    out.reserve(size);
  }
  if (old_s.empty()) {
    for (std::size_t pos = 0;;) {
      if (count < 0 || done < count) {
        out += new_s;
        ++done;
      }
      if (pos >= s.size()) break;
      std::size_t begin = pos;
      next(s, pos);
      out.append(s.substr(begin, pos - begin));
    }
    return out;
  }
  std::size_t pos = 0;
  for (; count < 0 || done < count; ++done) {
    std::size_t hit = find(s, old_s, pos);
    if (hit == std::string_view::npos) break;
    out.append(s.substr(pos, hit - pos));
    out += new_s;
    pos = hit + old_s.size();
  }
  out.append(s.substr(pos));
  return out;
}

std::vector<std::string> split_lines(std::string_view s, bool keepends) {
  std::vector<std::string> lines;
  std::string cur;
  for (std::size_t pos = 0; pos < s.size();) {
    std::size_t begin = pos;
    char32_t cp = next(s, pos);
    bool brk = cp == '\n' || cp == '\r' || cp == '\v' || cp == '\f' || cp == 0x1C || cp == 0x1D || cp == 0x1E ||
               cp == 0x85 || cp == 0x2028 || cp == 0x2029;
    if (!brk) {
      cur.append(s.substr(begin, pos - begin));
      continue;
    }
    if (cp == '\r' && pos < s.size() && s[pos] == '\n') ++pos;
    if (keepends) cur.append(s.substr(begin, pos - begin));
    check_list_size(lines.size() + 1, "splitlines");
    lines.push_back(std::move(cur));
    cur.clear();
  }
  if (!cur.empty()) lines.push_back(std::move(cur));
  return lines;
}

bool all_cased(std::string_view s, bool upper) {
  bool cased = false;
  for (std::size_t pos = 0; pos < s.size();) {
    char32_t cp = next(s, pos);
    if (upper ? is_lower(cp) : is_upper(cp)) return false;
    cased = cased || is_cased(cp);
  }
  return cased;
}

}  // namespace ftcore::tmpl::unicode
