#include "tokenizer/pattern.hpp"

#include <algorithm>

#include "tokenizer/alignment.hpp"
#include "tokenizer/unicode.hpp"

namespace ftcore::tok {

namespace {
// A few emptied vectors of pieces per thread (the pipeline has at most three in use at once).
std::vector<Pieces>& spare_pieces() {
  thread_local std::vector<Pieces> spare;
  return spare;
}
}  // namespace

Pieces take_pieces() {
  std::vector<Pieces>& spare = spare_pieces();
  Pieces out;
  if (!spare.empty()) {
    out.swap(spare.back());
    spare.pop_back();
  }
  return out;
}

void recycle_pieces(Pieces&& spent) {
  constexpr std::size_t kKept = 4;
  constexpr std::size_t kKeptCapacity = 16384;  // pieces; larger vectors are freed
  std::vector<Pieces>& spare = spare_pieces();
  if (spare.size() >= kKept || spent.capacity() > kKeptCapacity) return;
  spent.clear();
  spare.push_back(std::move(spent));
}

SplitBehavior parse_behavior(const nlohmann::json& value, const JsonPath& at) {
  if (!value.is_string()) fail(at, "expected a split behavior name");
  const std::string name = value.get<std::string>();
  if (name == "Removed") return SplitBehavior::Removed;
  if (name == "Isolated") return SplitBehavior::Isolated;
  if (name == "MergedWithPrevious") return SplitBehavior::MergedWithPrevious;
  if (name == "MergedWithNext") return SplitBehavior::MergedWithNext;
  if (name == "Contiguous") return SplitBehavior::Contiguous;
  fail(at, "split behavior '" + name + "' is not supported");
}

void RegexPattern::find_matches(std::string_view text, std::vector<Span>& out) const {
  if (text.empty()) {
    out.push_back({0, 0, false});
    return;
  }
  thread_local std::vector<std::pair<std::size_t, std::size_t>> found;
  found.clear();
  regex_.find_all(text, found);
  std::size_t prev = 0;
  for (const auto& [s, e] : found) {
    if (prev != s) out.push_back({prev, s, false});
    out.push_back({s, e, true});
    prev = e;
  }
  if (prev != text.size()) out.push_back({prev, text.size(), false});
}

void CharPattern::find_matches(std::string_view text, std::vector<Span>& out) const {
  std::size_t last = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t len = 0;
    const char32_t c = uni::decode_at(text, i, len);
    if (pred_ != nullptr ? pred_(c) : c == ch_) {
      if (last < i) out.push_back({last, i, false});
      out.push_back({i, i + len, true});
      last = i + len;
    }
    i += len;
  }
  if (last < text.size()) out.push_back({last, text.size(), false});
}

std::unique_ptr<Pattern> make_pattern(const nlohmann::json& spec, const JsonPath& at) {
  if (spec.is_object() && spec.size() == 1) {
    const bool literal = spec.contains("String") && spec["String"].is_string();
    const bool regex = spec.contains("Regex") && spec["Regex"].is_string();
    if (literal || regex) {
      try {
        return std::make_unique<RegexPattern>(spec[literal ? "String" : "Regex"].get<std::string>(),
                                              literal ? Regex::Syntax::Literal : Regex::Syntax::Onig);
      } catch (const std::exception& e) {
        fail(at, e.what());
      }
    }
  }
  fail(at, "expected a pattern {\"String\": ...} or {\"Regex\": ...}");
}

namespace {

// (start, end, remove) pieces after applying the behavior, as tokenizers' NormalizedString::split.
struct Cut {
  std::size_t start;
  std::size_t end;
  bool remove;
};

void apply_behavior(const std::vector<Span>& spans, SplitBehavior behavior, std::vector<Cut>& cuts) {
  bool previous_match = false;
  switch (behavior) {
    case SplitBehavior::Isolated:
      for (const auto& s : spans) cuts.push_back({s.start, s.end, false});
      break;
    case SplitBehavior::Removed:
      for (const auto& s : spans) cuts.push_back({s.start, s.end, s.is_match});
      break;
    case SplitBehavior::MergedWithPrevious:
      for (const auto& s : spans) {
        if (s.is_match && !previous_match && !cuts.empty()) {
          cuts.back().end = s.end;
        } else {
          cuts.push_back({s.start, s.end, false});
        }
        previous_match = s.is_match;
      }
      break;
    case SplitBehavior::MergedWithNext:
      for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
        if (it->is_match && !previous_match && !cuts.empty()) {
          cuts.back().start = it->start;
        } else {
          cuts.push_back({it->start, it->end, false});
        }
        previous_match = it->is_match;
      }
      std::reverse(cuts.begin(), cuts.end());
      break;
    case SplitBehavior::Contiguous:
      for (const auto& s : spans) {
        if (s.is_match == previous_match && !cuts.empty()) {
          cuts.back().end = s.end;
        } else {
          cuts.push_back({s.start, s.end, false});
        }
        previous_match = s.is_match;
      }
      break;
  }
}

}  // namespace

void split_piece(Piece&& piece, const Pattern& pattern, SplitBehavior behavior, bool invert, Pieces& out) {
  thread_local std::vector<Span> spans;
  thread_local std::vector<Cut> cuts;
  spans.clear();
  cuts.clear();
  pattern.find_matches(piece.text, spans);
  if (invert) {
    for (auto& s : spans) s.is_match = !s.is_match;
  }
  apply_behavior(spans, behavior, cuts);
  if (cuts.size() == 1 && !cuts[0].remove && cuts[0].start == 0 && cuts[0].end == piece.text.size()) {
    if (piece.text.empty()) return;
    reslice(piece);
    out.push_back(std::move(piece));
    return;
  }
  for (const auto& c : cuts) {
    if (c.remove || c.start == c.end) continue;
    slice_into(out, piece, c.start, c.end, -1, piece.at_origin && c.start == 0);
  }
}

std::string replace_all(std::string_view text, const Pattern& pattern, const std::string& content) {
  thread_local std::vector<Span> spans;
  spans.clear();
  pattern.find_matches(text, spans);
  std::string out;
  out.reserve(text.size());
  for (const auto& s : spans) {
    if (s.is_match) {
      out += content;
    } else {
      out.append(text.substr(s.start, s.end - s.start));
    }
  }
  return out;
}

void replace_all_aligned(Piece& piece, const Pattern& pattern, const std::string& content) {
  thread_local std::vector<Span> spans;
  spans.clear();
  pattern.find_matches(piece.text, spans);
  const std::vector<Align>& from = piece.align->bytes;
  std::string text;
  std::vector<Align> align;
  text.reserve(piece.text.size());
  align.reserve(piece.text.size());
  for (const auto& s : spans) {
    if (!s.is_match) {
      text.append(piece.text, s.start, s.end - s.start);
      align.insert(align.end(), from.begin() + static_cast<std::ptrdiff_t>(s.start),
                   from.begin() + static_cast<std::ptrdiff_t>(s.end));
      continue;
    }
    const Align a = s.end >= 1 ? from[s.end - 1] : Align{piece.align->shift, piece.align->shift};
    text += content;
    align.insert(align.end(), content.size(), a);
  }
  piece.text = std::move(text);
  piece.align->bytes = std::move(align);
}

}  // namespace ftcore::tok
