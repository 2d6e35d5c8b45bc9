#include "tokenizer/alignment.hpp"

namespace ftcore::tok {

std::unique_ptr<Alignment> identity_alignment(std::string_view text) {
  auto out = std::make_unique<Alignment>();
  std::vector<Align>& align = out->bytes;
  align.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t len = uni::char_len(static_cast<unsigned char>(text[i]));
    const Align a{static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(i + len)};
    align.insert(align.end(), len, a);
    i += len;
  }
  return out;
}

void slice_alignment(const Piece& piece, std::size_t start, std::size_t end, Piece& out) {
  const std::vector<Align>& from = piece.align->bytes;
  out.align = std::make_unique<Alignment>();
  out.align->bytes.assign(from.begin() + static_cast<std::ptrdiff_t>(start), from.begin() + static_cast<std::ptrdiff_t>(end));
  out.align->shift = start < end ? from[start].begin : piece.align->shift;
}

void reslice(Piece& piece) {
  if (piece.tracked() && !piece.align->bytes.empty()) piece.align->shift = piece.align->bytes.front().begin;
}

void transform_range(Piece& piece, std::size_t start, std::size_t end, const std::vector<uni::CharChange>& dest,
                     std::size_t initial_offset) {
  const std::vector<Align>& from = piece.align->bytes;
  const std::uint32_t shift = piece.align->shift;
  std::string text(piece.text, 0, start);
  std::vector<Align> align(from.begin(), from.begin() + static_cast<std::ptrdiff_t>(start));
  text.reserve(piece.text.size() + dest.size());
  align.reserve(piece.text.size() + dest.size());
  std::size_t next = start;  // the next input char not yet consumed (tokenizers' `offset`)
  auto consume = [&] {
    if (next < end) next += uni::char_len(static_cast<unsigned char>(piece.text[next]));
  };
  auto at = [&](std::size_t i) { return i < from.size() ? from[i] : Align{shift, shift}; };
  for (std::size_t k = 0; k < initial_offset; ++k) consume();
  for (const auto& [c, change] : dest) {
    Align a{shift, shift};
    if (change > 0) {
      if (next >= 1) a = at(next - 1);
    } else {
      a = at(next);
      consume();
      for (int k = 0; k < -change; ++k) consume();
    }
    const std::size_t before = text.size();
    uni::append_utf8(text, c);
    align.insert(align.end(), text.size() - before, a);
  }
  text.append(piece.text, end, std::string::npos);
  align.insert(align.end(), from.begin() + static_cast<std::ptrdiff_t>(end), from.end());
  piece.text = std::move(text);
  piece.align->bytes = std::move(align);
}

void prepend_aligned(Piece& piece, std::string_view prefix) {
  if (piece.text.empty()) return;
  std::vector<uni::CharChange> dest;
  std::size_t i = 0;
  while (i < prefix.size()) {
    std::size_t len = 0;
    dest.push_back({uni::decode_at(prefix, i, len), i == 0 ? 0 : 1});
    i += len;
  }
  std::size_t first_len = 0;
  dest.push_back({uni::decode_at(piece.text, 0, first_len), 1});
  transform_range(piece, 0, first_len, dest, 0);
}

std::pair<std::size_t, std::size_t> original_range(const Piece& piece, std::size_t start, std::size_t end) {
  const std::vector<Align>& align = piece.align->bytes;
  if (start == end) return {piece.align->shift + start, piece.align->shift + start};
  if (start > end || end > align.size()) return {start, end};
  return {align[start].begin, align[end - 1].end};
}

}  // namespace ftcore::tok
