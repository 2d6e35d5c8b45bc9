// Token ids, offsets, char_to_token and decodes of ftcore's tokenizer against the pinned `tokenizers`
// package, for the real Llama-2, Llama-3, Qwen3 and Gemma-3 tokenizers, on the corpus from
// make_corpus.py.
// Reference: FTCORE_PARITY_DIR/refs/tokens.json (reference_tokens.py); tokenizers under
// FTCORE_PARITY_DIR/npm/<name>/models/. Run through run_parity.sh.
#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "parity_common.hpp"
#include "tokenizer/tokenizer.hpp"

namespace {

using ftcore::parity::show;
using ftcore::parity::show_list;
using nlohmann::ordered_json;

constexpr std::size_t kShowMismatches = 5;

using OffsetList = std::vector<std::pair<std::size_t, std::size_t>>;

std::string show_offsets(const OffsetList& offsets, std::size_t limit = 40) {
  std::vector<std::string> shown;
  for (const auto& [b, e] : offsets) shown.push_back(std::to_string(b) + "-" + std::to_string(e));
  std::string out = "[";
  for (std::size_t i = 0; i < shown.size() && i < limit; ++i) out += (i ? ", " : "") + shown[i];
  if (shown.size() > limit) out += ", ... (" + std::to_string(shown.size()) + " in all)";
  return out + "]";
}

/// The byte offset of every character of a valid UTF-8 string.
std::vector<std::size_t> char_starts(const std::string& text) {
  std::vector<std::size_t> starts;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) starts.push_back(i);
  }
  return starts;
}

/// One comparison kind: how many agreed, and the first few disagreements written out.
struct Tally {
  std::string what;
  std::size_t same = 0, total = 0;
  std::vector<std::string> shown;
  void add(bool equal, const std::string& detail) {
    ++total;
    if (equal) ++same;
    else if (shown.size() < kShowMismatches) shown.push_back(detail);
  }
};

class TokenizerParity : public ::testing::TestWithParam<std::string> {};

TEST_P(TokenizerParity, IdsOffsetsAndDecodesMatchTokenizers) {
  const std::string name = GetParam();
  const auto& loaded = ftcore::parity::reference_file("tokens.json");
  ASSERT_TRUE(loaded.error.empty()) << loaded.error;
  const ordered_json& ref = loaded.doc;
  ASSERT_TRUE(ref.contains("models") && ref["models"].contains(name)) << "refs/tokens.json has no " << name;
  const auto& corpus = ref["corpus"];
  const auto& cases = ref["models"][name]["cases"];
  ASSERT_EQ(corpus.size(), cases.size());

  auto file = ftcore::parity::parity_dir() / "npm" / name / "models" / "tokenizer.json";
  auto start = std::chrono::steady_clock::now();
  std::unique_ptr<ftcore::tok::Tokenizer> tok;
  try {
    tok = std::make_unique<ftcore::tok::Tokenizer>(ftcore::tok::Tokenizer::from_file(file));
  } catch (const std::exception& e) {
    FAIL() << name << ": ftcore could not load " << file << ": " << e.what();
  }
  double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  Tally with{"ids, add_special_tokens=true"}, without{"ids, add_special_tokens=false"},
      dec{"decode(reference ids, skip_special_tokens=false)"},
      dec_skip{"decode(reference ids, skip_special_tokens=true)"},
      round_trip{"decode(encode(s)) vs reference decode, skip_special_tokens=false"},
      round_trip_skip{"decode(encode(s)) vs reference decode, skip_special_tokens=true"},
      offsets{"offsets (bytes) and ids of encode(s, add_special_tokens=true, with_offsets=true)"},
      char_to_token{"char_to_token(start byte of every character)"};
  std::size_t all_same = 0;

  for (std::size_t i = 0; i < corpus.size(); ++i) {
    const std::string text = corpus[i].get<std::string>();
    const auto& c = cases[i];
    const auto expected_ids = c["ids"].get<std::vector<std::int32_t>>();
    const auto expected_plain = c["ids_no_special"].get<std::vector<std::int32_t>>();
    const auto expected_tokens = c["tokens"].get<std::vector<std::string>>();
    const std::string expected_dec = c["decode"].get<std::string>();
    const std::string expected_dec_skip = c["decode_skip_special"].get<std::string>();
    const auto expected_offsets = c["offsets"].get<OffsetList>();
    const auto expected_c2t = c["char_to_token"].get<std::vector<int>>();
    bool ok = true;
    auto record = [&](Tally& tally, bool equal, const std::string& detail) {
      tally.add(equal, detail);
      ok = ok && equal;
    };
    const std::string label = "  #" + std::to_string(i) + " " + show(text) + "\n";

    ftcore::tok::Encoding got, got_offsets;
    std::vector<std::int32_t> got_plain;
    std::string error;
    try {
      got = tok->encode(text, true);
      got_plain = tok->encode_ids(text, false);
      got_offsets = tok->encode(text, true, true);
    } catch (const std::exception& e) {
      error = e.what();
    }
    if (!error.empty()) {
      std::string detail = label + "    threw: " + error;
      record(with, false, detail);
      record(without, false, detail);
      record(round_trip, false, detail);
      record(round_trip_skip, false, detail);
      record(offsets, false, detail);
      record(char_to_token, false, detail);
    } else {
      record(offsets, got_offsets.ids == expected_ids && got_offsets.offsets == expected_offsets,
             label + "    expected tokens " + show_list(expected_tokens) + "\n             offsets " +
                 show_offsets(expected_offsets) + "\n    actual   tokens " + show_list(got_offsets.tokens) +
                 "\n             offsets " + show_offsets(got_offsets.offsets));
      const std::vector<std::size_t> starts = char_starts(text);
      std::string c2t_detail;
      bool c2t_ok = starts.size() == expected_c2t.size();
      for (std::size_t k = 0; c2t_ok && k < starts.size(); ++k) {
        const std::optional<std::size_t> t = ftcore::tok::char_to_token(got_offsets, starts[k]);
        const int actual = t ? static_cast<int>(*t) : -1;
        if (actual != expected_c2t[k]) {
          c2t_ok = false;
          c2t_detail = "    character " + std::to_string(k) + " (byte " + std::to_string(starts[k]) + "): expected token " +
                       std::to_string(expected_c2t[k]) + ", actual " + std::to_string(actual);
        }
      }
      if (starts.size() != expected_c2t.size()) c2t_detail = "    the reference counts another number of characters";
      record(char_to_token, c2t_ok, label + c2t_detail);
      record(with, got.ids == expected_ids,
             label + "    expected ids " + show_list(expected_ids) + "\n             tokens " + show_list(expected_tokens) +
                 "\n    actual   ids " + show_list(got.ids) + "\n             tokens " + show_list(got.tokens));
      record(without, got_plain == expected_plain,
             label + "    expected " + show_list(expected_plain) + "\n    actual   " + show_list(got_plain));
      std::string rt = tok->decode(got.ids, false), rt_skip = tok->decode(got.ids, true);
      record(round_trip, rt == expected_dec, label + "    expected " + show(expected_dec) + "\n    actual   " + show(rt));
      record(round_trip_skip, rt_skip == expected_dec_skip,
             label + "    expected " + show(expected_dec_skip) + "\n    actual   " + show(rt_skip));
    }
    std::string d = tok->decode(expected_ids, false), d_skip = tok->decode(expected_ids, true);
    record(dec, d == expected_dec, label + "    ids " + show_list(expected_ids) + "\n    expected " + show(expected_dec) +
                                       "\n    actual   " + show(d));
    record(dec_skip, d_skip == expected_dec_skip,
           label + "    ids " + show_list(expected_ids) + "\n    expected " + show(expected_dec_skip) + "\n    actual   " +
               show(d_skip));
    if (ok) ++all_same;
  }

  std::cout << "[parity] tokenizer " << name << " (" << ref.value("reference", std::string("tokenizers"))
            << ", loaded in " << load_s << " s): " << all_same << "/" << corpus.size()
            << " strings identical in every check\n";
  bool pass = true;
  for (Tally* t : {&with, &without, &dec, &dec_skip, &round_trip, &round_trip_skip, &offsets, &char_to_token}) {
    std::cout << "[parity]   " << name << ": " << t->same << "/" << t->total << " strings identical: " << t->what
              << "\n";
    for (const auto& s : t->shown) std::cout << s << "\n";
    pass = pass && t->same == t->total;
  }
  EXPECT_TRUE(pass) << name << ": " << (corpus.size() - all_same) << " of " << corpus.size()
                    << " strings differ from the reference (details above)";
}

INSTANTIATE_TEST_SUITE_P(RealTokenizers, TokenizerParity,
                         ::testing::Values("llama2", "llama3", "qwen3", "gemma3"),
                         [](const auto& info) { return info.param; });

TEST(TokenizerParityCorpus, HasAtLeast2000Strings) {
  const auto& loaded = ftcore::parity::reference_file("tokens.json");
  ASSERT_TRUE(loaded.error.empty()) << loaded.error;
  EXPECT_GE(loaded.doc["corpus"].size(), 2000u);
}

}  // namespace
