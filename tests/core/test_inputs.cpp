// --data resolution: files, globs, directories, comma lists, subset and split.
#include <gtest/gtest.h>

#include "data/inputs.hpp"
#include "errors.hpp"
#include "test_support.hpp"

using namespace ftcore;
using namespace ftcore::data;
using ftcore::testing::TempDir;

namespace {
std::vector<std::string> names(const std::vector<std::filesystem::path>& files) {
  std::vector<std::string> out;
  for (const auto& f : files) out.push_back(f.filename().string());
  return out;
}
std::string error_of(const InputSelection& s) {
  try {
    resolve_inputs(s);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "<no UsageError>";
}
}  // namespace

TEST(Inputs, DirectoryIsRecursiveSortedAndCountsIgnoredFiles) {
  TempDir dir;
  dir.write("b.jsonl", "{}");
  dir.write("sub/a.json", "[]");
  dir.write("notes.md", "x");
  dir.write(".hidden.jsonl", "{}");
  ResolvedInputs r = resolve_inputs({{dir.path().string()}});
  EXPECT_EQ(names(r.files), (std::vector<std::string>{"b.jsonl", "a.json"}));
  EXPECT_EQ(names(r.ignored), std::vector<std::string>{"notes.md"});
}

TEST(Inputs, GlobsCommaListsAndDuplicates) {
  TempDir dir;
  auto a = dir.write("a.jsonl", "{}");
  dir.write("b.jsonl", "{}");
  dir.write("c.txt", "x");
  ResolvedInputs r = resolve_inputs({{(dir.path() / "*.jsonl").string() + "," + (dir.path() / "c.txt").string(),
                                      a.string()}});
  EXPECT_EQ(names(r.files), (std::vector<std::string>{"a.jsonl", "b.jsonl", "c.txt"}));
}

TEST(Inputs, SubsetAndSplit) {
  TempDir dir;
  dir.write("chat/train.jsonl", "{}");
  dir.write("chat/train-extra.jsonl", "{}");
  dir.write("chat/test.jsonl", "{}");
  dir.write("chat/training_notes.jsonl", "{}");
  ResolvedInputs r = resolve_inputs({{dir.path().string()}, "chat", "train"});
  EXPECT_EQ(names(r.files), (std::vector<std::string>{"train-extra.jsonl", "train.jsonl"}));
}

TEST(Inputs, Errors) {
  TempDir dir;
  dir.write("data.csv", "a,b");
  dir.write("empty/readme.md", "x");
  EXPECT_EQ(error_of({{"/nonexistent/x.jsonl"}}), "--data '/nonexistent/x.jsonl': no such file or directory");
  EXPECT_EQ(error_of({{(dir.path() / "*.parquet").string()}}),
            "--data '" + (dir.path() / "*.parquet").string() + "': no files match this pattern");
  EXPECT_EQ(error_of({{(dir.path() / "data.csv").string()}}),
            "--data '" + (dir.path() / "data.csv").string() +
                "': unsupported file type '.csv'; ftcore reads .json (array or JSON lines), .jsonl and .txt");
  EXPECT_NE(error_of({{(dir.path() / "empty").string()}}).find("no .json, .jsonl or .txt files"), std::string::npos);
  EXPECT_EQ(error_of({{}}), "no training data given: pass --data FILE|DIR|GLOB");
  EXPECT_NE(error_of({{dir.path().string()}, "nope"}).find("subset directory"), std::string::npos);
}
