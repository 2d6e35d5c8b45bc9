// UTF-8 helpers and the Unicode facts tokenizers relies on (Rust char predicates, normal forms,
// GPT-2's bytes_to_unicode).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

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
// Rust's char::to_lowercase applied char by char (no final-sigma rule).
std::string lowercase(std::string_view s);

// GPT-2 bytes_to_unicode: byte -> UTF-8 of its printable code point, and the reverse.
const std::array<std::string, 256>& byte_to_unicode();
// -1 when the code point is not one of the 256 images.
int unicode_to_byte(char32_t c);

}  // namespace ftcore::tok::uni
