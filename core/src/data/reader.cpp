#include "data/reader.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "errors.hpp"
#include "ftcore/files.hpp"
#include "tokenizer/unicode.hpp"
#include "util/text.hpp"

namespace ftcore::data {

namespace fs = std::filesystem;
using nlohmann::json;

const char* file_kind_name(FileKind kind) {
  switch (kind) {
    case FileKind::json_array: return "JSON array";
    case FileKind::json_lines: return "JSON lines";
    case FileKind::text_lines: return "text lines";
  }
  return "?";
}

namespace {

/// Maps byte offsets of a file to 1-based line and column.
class LineIndex {
 public:
  explicit LineIndex(const std::string& content) {
    starts_.push_back(0);
    for (std::size_t i = 0; i < content.size(); ++i)
      if (content[i] == '\n') starts_.push_back(i + 1);
  }
  SourceLocation locate(const std::string& file, std::size_t offset) const {
    auto it = std::upper_bound(starts_.begin(), starts_.end(), offset);
    std::size_t line = static_cast<std::size_t>(it - starts_.begin());
    return SourceLocation{file, line, offset - starts_[line - 1] + 1};
  }

 private:
  std::vector<std::size_t> starts_;
};

std::string hex_byte(char c) {
  static const char* const kDigits = "0123456789abcdef";
  const auto byte = static_cast<unsigned char>(c);
  return {kDigits[byte >> 4], kDigits[byte & 15]};
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::size_t skip_space(const std::string& s, std::size_t i) {
  while (i < s.size() && is_space(s[i])) ++i;
  return i;
}

/// nlohmann reports "parse error at line 1, column 7: syntax error while parsing ..."; keep the
/// part after the position, since ours is in the location.
std::string json_error_text(const json::parse_error& e) {
  std::string what = e.what();
  auto colon = what.find(": ", what.find("parse error"));
  return colon == std::string::npos ? what : "invalid JSON: " + what.substr(colon + 2);
}

/// Parses one JSON value that starts at `offset` of the file content.
void parse_value_at(const std::string& content, std::size_t offset, std::size_t end, const LineIndex& lines,
                    FileRecords& out) {
  std::string file = out.file.string();
  try {
    out.records.push_back({lines.locate(file, offset), json::parse(content.begin() + offset, content.begin() + end)});
  } catch (const json::parse_error& e) {
    std::size_t at = offset + (e.byte > 0 ? e.byte - 1 : 0);
    out.errors.push_back({lines.locate(file, std::min(at, end > 0 ? end - 1 : 0)), json_error_text(e)});
  } catch (const json::exception& e) {  // e.g. out_of_range: a number beyond a double (1e999)
    std::string what = e.what();
    const auto bracket = what.find("] ");
    out.errors.push_back({lines.locate(file, offset),
                          "invalid JSON: " + (bracket == std::string::npos ? what : what.substr(bracket + 2)) +
                              " (beyond what a 64-bit number holds)"});
  }
}

/// End of the JSON value starting at `i`: the next ',' or ']' at nesting depth 0, outside strings.
std::size_t value_end(const std::string& s, std::size_t i) {
  int depth = 0;
  bool in_string = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (depth == 0) return i;
      --depth;
    } else if (c == ',' && depth == 0) {
      return i;
    }
  }
  return s.size();
}

void read_array(const std::string& content, std::size_t start, const LineIndex& lines, FileRecords& out) {
  std::string file = out.file.string();
  std::size_t i = skip_space(content, start + 1);
  if (i < content.size() && content[i] == ']') return;  // empty array
  while (i < content.size()) {
    std::size_t end = value_end(content, i);
    std::size_t trimmed_end = end;
    while (trimmed_end > i && is_space(content[trimmed_end - 1])) --trimmed_end;
    if (trimmed_end == i)
      out.errors.push_back({lines.locate(file, i), "invalid JSON: empty array element (stray ',')"});
    else
      parse_value_at(content, i, trimmed_end, lines, out);
    if (end >= content.size()) {
      out.errors.push_back({lines.locate(file, content.empty() ? 0 : content.size() - 1),
                            "invalid JSON: the array is not closed (missing ']')"});
      return;
    }
    if (content[end] == ']') {
      std::size_t rest = skip_space(content, end + 1);
      if (rest < content.size())
        out.errors.push_back({lines.locate(file, rest), "invalid JSON: text after the closing ']'"});
      return;
    }
    i = skip_space(content, end + 1);
  }
}

void read_lines(const std::string& content, FileKind kind, const LineIndex& lines, FileRecords& out) {
  std::size_t start = 0;
  while (start < content.size()) {
    std::size_t end = content.find('\n', start);
    if (end == std::string::npos) end = content.size();
    std::size_t stop = end;
    if (stop > start && content[stop - 1] == '\r') --stop;
    std::string_view line(content.data() + start, stop - start);
    if (!text::trim(line).empty()) {
      if (kind == FileKind::text_lines) {
        const auto bad = tok::uni::find_invalid_utf8(line);
        if (bad == std::string_view::npos)
          out.records.push_back({lines.locate(out.file.string(), start), json(std::string(line))});
        else
          out.errors.push_back({lines.locate(out.file.string(), start + bad),
                                "not UTF-8 text (byte 0x" + hex_byte(line[bad]) +
                                    " here); save the file as UTF-8"});
      } else {
        parse_value_at(content, start, stop, lines, out);
      }
    }
    start = end + 1;
  }
}

}  // namespace

FileRecords parse_records(const std::string& raw, const fs::path& name) {
  FileRecords out;
  out.file = name;
  std::string content = text::starts_with(raw, "\xEF\xBB\xBF") ? raw.substr(3) : raw;  // UTF-8 BOM
  LineIndex lines(content);
  std::size_t first = skip_space(content, 0);
  if (text::lower(name.extension().string()) == ".txt") {
    out.kind = FileKind::text_lines;
    read_lines(content, out.kind, lines, out);
  } else if (first < content.size() && content[first] == '[') {
    out.kind = FileKind::json_array;
    read_array(content, first, lines, out);
  } else {
    out.kind = FileKind::json_lines;
    read_lines(content, out.kind, lines, out);
  }
  return out;
}

FileRecords read_records(const fs::path& file) { return parse_records(files::read_regular(file, "data file"), file); }

}  // namespace ftcore::data
