// Encode throughput of ftcore's tokenizer, single thread: the corpus (a JSON list of strings)
// replicated to about TARGET_MB megabytes, each string encoded with add_special_tokens=true.
// Usage: bench_tokenizer TOKENIZER_JSON CORPUS_JSON [TARGET_MB=10] [REPEATS=3]
// Prints one JSON object: load_s, bytes, strings, tokens, best_s, mb_per_s, tokens_per_s.
// run_bench.sh runs it beside the `tokenizers` measurement (bench_tokenizer.py) and prints the ratio.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tokenizer/tokenizer.hpp"

int main(int argc, char** argv) {
  if (argc < 3 || argc > 5) {
    std::cerr << "usage: bench_tokenizer TOKENIZER_JSON CORPUS_JSON [TARGET_MB=10] [REPEATS=3]\n";
    return 2;
  }
  const double target_mb = argc > 3 ? std::atof(argv[3]) : 10.0;
  const int repeats = argc > 4 ? std::max(1, std::atoi(argv[4])) : 3;
  try {
    std::ifstream in(argv[2], std::ios::binary);
    if (!in) throw std::runtime_error(std::string("cannot read ") + argv[2]);
    std::stringstream content;
    content << in.rdbuf();
    const auto base = nlohmann::json::parse(content.str()).get<std::vector<std::string>>();
    std::size_t base_bytes = 0;
    for (const auto& s : base) base_bytes += s.size();
    if (base_bytes == 0) throw std::runtime_error("empty corpus");

    std::vector<std::string> corpus;
    std::size_t bytes = 0;
    while (bytes < target_mb * 1e6) {
      for (const auto& s : base) corpus.push_back(s);
      bytes += base_bytes;
    }

    auto t0 = std::chrono::steady_clock::now();
    auto tok = ftcore::tok::Tokenizer::from_file(argv[1]);
    const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    for (const auto& s : base) (void)tok.encode(s, true);  // warm-up: caches, page faults

    double best = 1e300;
    std::size_t tokens = 0;
    for (int r = 0; r < repeats; ++r) {
      std::size_t count = 0;
      auto start = std::chrono::steady_clock::now();
      for (const auto& s : corpus) count += tok.encode(s, true).ids.size();
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      tokens = count;
    }
    nlohmann::ordered_json out;
    out["implementation"] = "ftcore";
    out["load_s"] = load_s;
    out["bytes"] = bytes;
    out["strings"] = corpus.size();
    out["tokens"] = tokens;
    out["best_s"] = best;
    out["mb_per_s"] = bytes / 1e6 / best;
    out["tokens_per_s"] = tokens / best;
    std::cout << out.dump() << std::endl;
  } catch (const std::exception& e) {
    std::cerr << "bench_tokenizer: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
