// Token ids and decodes of ftcore's tokenizer against the pinned `tokenizers` package, for the real
// Llama-2, Llama-3, Qwen3 and Gemma-3 tokenizers, on the corpus from make_corpus.py.
// Reference: FTCORE_PARITY_DIR/refs/tokens.json (reference_tokens.py); tokenizers under
// FTCORE_PARITY_DIR/npm/<name>/models/. Run through run_parity.sh.
#include <chrono>
#include <iostream>
#include <memory>
#include <string>
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

TEST_P(TokenizerParity, IdsAndDecodesMatchTokenizers) {
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
      round_trip_skip{"decode(encode(s)) vs reference decode, skip_special_tokens=true"};
  std::size_t all_same = 0;

  for (std::size_t i = 0; i < corpus.size(); ++i) {
    const std::string text = corpus[i].get<std::string>();
    const auto& c = cases[i];
    const auto expected_ids = c["ids"].get<std::vector<std::int32_t>>();
    const auto expected_plain = c["ids_no_special"].get<std::vector<std::int32_t>>();
    const auto expected_tokens = c["tokens"].get<std::vector<std::string>>();
    const std::string expected_dec = c["decode"].get<std::string>();
    const std::string expected_dec_skip = c["decode_skip_special"].get<std::string>();
    bool ok = true;
    auto record = [&](Tally& tally, bool equal, const std::string& detail) {
      tally.add(equal, detail);
      ok = ok && equal;
    };
    const std::string label = "  #" + std::to_string(i) + " " + show(text) + "\n";

    ftcore::tok::Encoding got;
    std::vector<std::int32_t> got_plain;
    std::string error;
    try {
      got = tok->encode(text, true);
      got_plain = tok->encode_ids(text, false);
    } catch (const std::exception& e) {
      error = e.what();
    }
    if (!error.empty()) {
      std::string detail = label + "    threw: " + error;
      record(with, false, detail);
      record(without, false, detail);
      record(round_trip, false, detail);
      record(round_trip_skip, false, detail);
    } else {
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
  for (Tally* t : {&with, &without, &dec, &dec_skip, &round_trip, &round_trip_skip}) {
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
