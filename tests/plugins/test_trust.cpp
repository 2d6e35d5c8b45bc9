// sha256 (FIPS 180-4 test vectors) and the plugin trust store.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.hpp"
#include "errors.hpp"
#include "plugins/trust.hpp"
#include "util/sha256.hpp"

namespace fs = std::filesystem;
using ftcore::testing::ScopedEnv;
using ftcore::testing::TempDir;

namespace {

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<std::string> lines_of(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

// ---- sha256 ----------------------------------------------------------------------------------

TEST(Sha256, EmptyString) {
  EXPECT_EQ(ftcore::sha256_hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256, Abc) {
  EXPECT_EQ(ftcore::sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, TwoBlockMessage) {
  EXPECT_EQ(ftcore::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, OneMillionAs) {
  std::vector<char> data(1000000, 'a');
  EXPECT_EQ(ftcore::sha256_hex(std::string_view(data.data(), data.size())),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, PaddingBoundaries) {
  // Lengths around the 55/56/64-byte padding edges must all work and differ.
  std::vector<std::string> digests;
  for (std::size_t n : {55u, 56u, 63u, 64u, 65u}) {
    std::string digest = ftcore::sha256_hex(std::string(n, 'x'));
    EXPECT_EQ(digest.size(), 64u);
    EXPECT_EQ(digest.find_first_not_of("0123456789abcdef"), std::string::npos);
    digests.push_back(digest);
  }
  for (std::size_t i = 0; i < digests.size(); ++i)
    for (std::size_t j = i + 1; j < digests.size(); ++j) EXPECT_NE(digests[i], digests[j]);
  EXPECT_EQ(ftcore::sha256_hex(std::string(64, 'a')),
            "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

TEST(Sha256, FileEqualsContent) {
  TempDir dir;
  // Larger than the 64 KiB read chunk, with bytes of every value (NULs included).
  std::string content;
  for (int i = 0; i < 200000; ++i) content.push_back(static_cast<char>((i * 7) & 0xff));
  auto file = dir.write("data.bin", content);
  EXPECT_EQ(ftcore::sha256_file_hex(file), ftcore::sha256_hex(content));

  auto empty = dir.write("empty.bin", "");
  EXPECT_EQ(ftcore::sha256_file_hex(empty), ftcore::sha256_hex(""));

  auto abc = dir.write("abc.txt", "abc");
  EXPECT_EQ(ftcore::sha256_file_hex(abc),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, UnreadableFileThrows) {
  TempDir dir;
  EXPECT_THROW(ftcore::sha256_file_hex(dir.path() / "missing"), std::runtime_error);
}

// ---- TrustStore ------------------------------------------------------------------------------

TEST(TrustStore, MissingFileIsEmpty) {
  TempDir dir;
  ftcore::TrustStore store(dir.path() / "no" / "such" / "trusted-plugins");
  EXPECT_FALSE(store.is_trusted(ftcore::sha256_hex("")));
  EXPECT_EQ(store.file(), dir.path() / "no" / "such" / "trusted-plugins");
}

TEST(TrustStore, TrustAppendsHashAndAbsolutePathAndSurvivesReload) {
  TempDir dir;
  auto plugin = dir.write("plugins/p.so", "pretend plugin bytes");
  auto other = dir.write("plugins/q.so", "other plugin bytes");
  auto file = dir.path() / "config" / "ftcore" / "trusted-plugins";  // parent created on demand
  std::string hash = ftcore::sha256_hex("pretend plugin bytes");

  ftcore::TrustStore store(file);
  EXPECT_FALSE(store.is_trusted(hash));
  EXPECT_EQ(store.trust(plugin), hash);
  EXPECT_TRUE(store.is_trusted(hash));

  auto lines = lines_of(file);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], hash + "  " + fs::absolute(plugin).lexically_normal().string());

  // Trusting the same file again adds no line.
  EXPECT_EQ(store.trust(plugin), hash);
  EXPECT_EQ(lines_of(file).size(), 1u);

  // A second one is appended after the first.
  std::string other_hash = store.trust(other);
  EXPECT_EQ(other_hash, ftcore::sha256_hex("other plugin bytes"));
  lines = lines_of(file);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].substr(0, 64), hash);
  EXPECT_EQ(lines[1], other_hash + "  " + fs::absolute(other).lexically_normal().string());
  EXPECT_FALSE(fs::exists(file.string() + ".tmp"));

  ftcore::TrustStore reloaded(file);
  EXPECT_TRUE(reloaded.is_trusted(hash));
  EXPECT_TRUE(reloaded.is_trusted(other_hash));
  EXPECT_FALSE(reloaded.is_trusted(ftcore::sha256_hex("something else")));
}

TEST(TrustStore, TrustKeepsExistingLinesAndComments) {
  TempDir dir;
  std::string existing = "# my trusted plugins\n\n" + ftcore::sha256_hex("x") + "  /old/x.so\n";
  auto file = dir.write("trusted-plugins", existing);
  auto plugin = dir.write("p.so", "bytes");
  ftcore::TrustStore store(file);
  EXPECT_TRUE(store.is_trusted(ftcore::sha256_hex("x")));
  store.trust(plugin);
  std::string after = read_all(file);
  EXPECT_EQ(after.substr(0, existing.size()), existing);
  EXPECT_TRUE(ftcore::TrustStore(file).is_trusted(ftcore::sha256_hex("bytes")));
}

TEST(TrustStore, RelativePluginPathIsStoredAbsolute) {
  TempDir dir;
  auto plugin = dir.write("rel.so", "relative bytes");
  auto file = dir.path() / "trusted-plugins";
  fs::path old_cwd = fs::current_path();
  fs::current_path(dir.path());
  ftcore::TrustStore store(file);
  std::string hash = store.trust("rel.so");
  fs::current_path(old_cwd);
  auto lines = lines_of(file);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], hash + "  " + (fs::absolute(dir.path()) / "rel.so").lexically_normal().string());
}

TEST(TrustStore, TrustingAMissingFileIsAUsageError) {
  TempDir dir;
  ftcore::TrustStore store(dir.path() / "trusted-plugins");
  EXPECT_THROW(store.trust(dir.path() / "nope.so"), ftcore::UsageError);
  EXPECT_THROW(store.trust(dir.path()), ftcore::UsageError);  // a directory is not a plugin
  EXPECT_FALSE(fs::exists(dir.path() / "trusted-plugins"));
}

TEST(TrustStore, CommentsBlankLinesAndTabsAreAccepted) {
  TempDir dir;
  std::string a = ftcore::sha256_hex("a"), b = ftcore::sha256_hex("b"), c = ftcore::sha256_hex("c");
  auto file = dir.write("trusted-plugins", "# comment\n\n   \n" + a + "  /x/a.so\n  " + b +
                                               "\t/x/b.so\n" + c + "\n");
  ftcore::TrustStore store(file);
  EXPECT_TRUE(store.is_trusted(a));
  EXPECT_TRUE(store.is_trusted(b));
  EXPECT_TRUE(store.is_trusted(c));
  EXPECT_FALSE(store.is_trusted(ftcore::sha256_hex("d")));
}

// Issue 28: one malformed line made every command with --model fail (exit 2). It is ignored now,
// with a warning naming file:line, and the good lines still count.
TEST(TrustStore, MalformedLineIsIgnoredWithAWarningNamingFileAndLine) {
  TempDir dir;
  std::string good = ftcore::sha256_hex("a");
  auto file = dir.write("trusted-plugins", "# header\n" + good + "  /x/a.so\nnot-a-hash  /x/b.so\n");
  ftcore::TrustStore store(file);
  EXPECT_TRUE(store.is_trusted(good));
  ASSERT_EQ(store.warnings().size(), 1u);
  const std::string& message = store.warnings()[0];
  EXPECT_NE(message.find(file.string() + ":3: ignored"), std::string::npos) << message;
  EXPECT_NE(message.find("not-a-hash"), std::string::npos) << message;
}

TEST(TrustStore, UpperCaseOrShortHashesAreMalformed) {
  TempDir dir;
  std::string upper = ftcore::sha256_hex("a");
  for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  auto upper_file = dir.write("upper", upper + "  /x/a.so\n");
  ftcore::TrustStore upper_store(upper_file);
  EXPECT_FALSE(upper_store.is_trusted(ftcore::sha256_hex("a")));
  EXPECT_EQ(upper_store.warnings().size(), 1u);
  auto short_file = dir.write("short", ftcore::sha256_hex("a").substr(0, 63) + "  /x/a.so\n");
  ftcore::TrustStore short_store(short_file);
  ASSERT_EQ(short_store.warnings().size(), 1u);
  EXPECT_NE(short_store.warnings()[0].find(short_file.string() + ":1"), std::string::npos) << short_store.warnings()[0];
}

// Issue 28: `plugins trust` wrote the path raw, so a plugin named "x\n<hash>  y.so" added a second
// trusted hash. The path is escaped: the list gains one line and one hash.
TEST(TrustStore, AFileNameCannotAddALine) {
  TempDir dir;
  const std::string other = ftcore::sha256_hex("the attacker's other plugin");
  auto plugin = dir.write("x\n" + other + "  y.so", "plugin bytes");
  auto file = dir.path() / "trusted-plugins";
  ftcore::TrustStore store(file);
  const std::string hash = store.trust(plugin);
  auto lines = lines_of(file);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].substr(0, 66), hash + "  ");
  EXPECT_NE(lines[0].find("x\\n" + other), std::string::npos) << lines[0];
  ftcore::TrustStore reloaded(file);
  EXPECT_TRUE(reloaded.is_trusted(hash));
  EXPECT_FALSE(reloaded.is_trusted(other));
  EXPECT_TRUE(reloaded.warnings().empty());
}

TEST(TrustStore, EscapeLineKeepsOneLine) {
  EXPECT_EQ(ftcore::escape_line("a\\b\nc\td\x01\x7f"), "a\\\\b\\nc\\td\\x01\\x7f");
  EXPECT_EQ(ftcore::escape_line("/plain/path.so"), "/plain/path.so");
}

TEST(TrustStore, DefaultPathFollowsTheEnvironment) {
  {
    ScopedEnv trust_file("FTCORE_TRUST_FILE", "/explicit/trust");
    ScopedEnv xdg("XDG_CONFIG_HOME", "/xdg");
    EXPECT_EQ(ftcore::TrustStore::default_path(), fs::path("/explicit/trust"));
  }
  {
    ScopedEnv trust_file("FTCORE_TRUST_FILE", nullptr);
    ScopedEnv xdg("XDG_CONFIG_HOME", "/xdg");
    EXPECT_EQ(ftcore::TrustStore::default_path(), fs::path("/xdg/ftcore/trusted-plugins"));
  }
  {
    ScopedEnv trust_file("FTCORE_TRUST_FILE", "");
    ScopedEnv xdg("XDG_CONFIG_HOME", nullptr);
    ScopedEnv home("HOME", "/home/someone");
    EXPECT_EQ(ftcore::TrustStore::default_path(),
              fs::path("/home/someone/.config/ftcore/trusted-plugins"));
  }
}
