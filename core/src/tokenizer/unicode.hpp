// UTF-8 helpers and the Unicode facts tokenizers relies on (Rust char predicates, normal forms,
// GPT-2's bytes_to_unicode).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ftcore::tok::uni {

// Decodes the code point at s[i] (s must be valid UTF-8); sets `len` to its byte length.
char32_t decode_at(std::string_view s, std::size_t i, std::size_t& len);
std::size_t char_len(unsigned char lead);  // byte length from a valid lead byte
void append_utf8(std::string& out, char32_t cp);
// Offset of the first invalid byte, or npos when `s` is valid UTF-8 (no surrogates, <= U+10FFFF).
std::size_t find_invalid_utf8(std::string_view s);
// Rust's String::from_utf8_lossy: each maximal invalid subpart becomes U+FFFD.
std::string from_utf8_lossy(std::string_view bytes);

// Rust char predicates.
bool is_whitespace(char32_t c);    // Unicode White_Space
bool is_numeric(char32_t c);       // Nd | Nl | No
// The Rust `regex` crate's \w: Alphabetic | Mark | Nd | Pc | Join_Control.
bool is_regex_word_char(char32_t c);
bool is_punctuation(char32_t c);   // ASCII punctuation or general category P*
bool is_mark_nonspacing(char32_t c);

enum class NormalForm { NFC, NFD, NFKC, NFKD };
std::string normalize(std::string_view s, NormalForm form);

// One char of a normalized string with its `change` in tokenizers' sense (NormalizedString::
// transform): 1 inserted, 0 replaces the next char of the input, -n also removes n more.
struct CharChange {
  char32_t c;
  int change;
};
// The (char, change) sequence that tokenizers' normalizer (the unicode-normalization-alignments
// crate) yields for `s`: decompositions give 0 then 1s, canonical reordering moves the changes
// with their chars, and a composition of k and c gets change(k) + change(c) - 1. The chars are
// those of normalize(s, form).
void normalize_changes(std::string_view s, NormalForm form, std::vector<CharChange>& out);

// Rust's char::to_lowercase applied char by char (no final-sigma rule).
std::string lowercase(std::string_view s);
void append_lowercase(std::string& out, char32_t c);

// GPT-2 bytes_to_unicode: byte -> UTF-8 of its printable code point, and the reverse.
const std::array<std::string, 256>& byte_to_unicode();
// -1 when the code point is not one of the 256 images.
int unicode_to_byte(char32_t c);
// Appends the images of `bytes`, byte by byte.
inline void append_byte_chars(std::string& out, std::string_view bytes) {
  const auto& table = byte_to_unicode();
  for (char ch : bytes) out += table[static_cast<unsigned char>(ch)];
}

}  // namespace ftcore::tok::uni
