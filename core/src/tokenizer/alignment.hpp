// Offset tracking on Piece::align, following the alignment rules of tokenizers' NormalizedString
// (tokenizer/normalizer.rs): every byte of a piece points to the bytes [begin, end) of the
// original input it comes from. Alignments are kept absolute (tokenizers keeps them relative to
// each slice's original plus an original_shift; the sums are the same).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizer/components.hpp"
#include "tokenizer/unicode.hpp"

namespace ftcore::tok {

// The alignment of an untouched text: every byte points to its whole character.
std::unique_ptr<Alignment> identity_alignment(std::string_view text);

// The tracking part of slice_into.
void slice_alignment(const Piece& piece, std::size_t start, std::size_t end, Piece& out);

// NormalizedString::slice: appends bytes [start, end) of `piece` (which is not in `out`) to `out`
// as a new piece. A tracked slice's shift is where its first byte comes from.
inline void slice_into(Pieces& out, const Piece& piece, std::size_t start, std::size_t end, std::int32_t token_id,
                       bool at_origin) {
  Piece& slice = out.emplace_back();
  slice.text.assign(piece.text, start, end - start);
  slice.token_id = token_id;
  slice.at_origin = at_origin;
  if (piece.tracked()) slice_alignment(piece, start, end, slice);
}

// For a split that keeps a piece whole: tokenizers still slices it, which moves its shift.
void reslice(Piece& piece);

// NormalizedString::transform_range over the bytes [start, end) of a tracked piece: the chars of
// `dest` replace that range, after `initial_offset` chars of it are dropped. A char with change
// <= 0 takes the alignment of the next input char (and consumes it, plus -change more); a char
// with change 1 takes that of the last byte consumed so far, or (shift, shift) at the very start.
void transform_range(Piece& piece, std::size_t start, std::size_t end, const std::vector<uni::CharChange>& dest,
                     std::size_t initial_offset);

// NormalizedString::prepend on a tracked piece: the prefix points where the first char does.
void prepend_aligned(Piece& piece, std::string_view prefix);

// Replaces each char of a tracked piece by what `fn(c, bytes, out)` appends to `out` (possibly
// nothing); everything a char becomes points where the char pointed. This is tokenizers' map,
// lowercase, filter and ByteLevel transforms (changes 0 then 1s, or removals).
template <typename Fn>
void map_chars(Piece& piece, Fn&& fn) {
  const std::vector<Align>& from = piece.align->bytes;
  std::string text;
  std::vector<Align> align;
  text.reserve(piece.text.size() * 2);
  align.reserve(piece.text.size() * 2);
  const std::string_view in = piece.text;
  std::size_t i = 0;
  while (i < in.size()) {
    std::size_t len = 0;
    const char32_t c = uni::decode_at(in, i, len);
    const std::size_t before = text.size();
    fn(c, in.substr(i, len), text);
    align.insert(align.end(), text.size() - before, from[i]);
    i += len;
  }
  piece.text = std::move(text);
  piece.align->bytes = std::move(align);
}

// PreTokenizedString::into_encoding: the original bytes of the normalized bytes [start, end) of a
// tracked piece (a model token). An empty range stays where it is, relative to the piece's shift;
// a range past the end is returned as it is, as tokenizers does.
std::pair<std::size_t, std::size_t> original_range(const Piece& piece, std::size_t start, std::size_t end);

}  // namespace ftcore::tok
