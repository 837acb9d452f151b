// Host time of greedy generation's text work over a whole generation: for B sequences of T generated
// tokens, detokenising and searching the stop strings after every token, as Model::generate did
// before (all tokens detokenised, every stop searched over the whole text, at each step) against the
// incremental detokenizer and the tail search (engine/detokenizer.h). Results in docs/benchmarks.md
// ("Detokenisation and stop strings per step").
//
//   build/bin/bench_generate_host VOCAB.gguf [B=256] [T=256]
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "engine/detokenizer.h"
#include "engine/vocab.h"

using namespace jouleval::engine;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: bench_generate_host VOCAB.gguf [sequences>=1] [tokens>=1]\n");
    return 2;
  }
  const int rows = argc > 2 ? std::atoi(argv[2]) : 256;
  const int tokens = argc > 3 ? std::atoi(argv[3]) : 256;
  if (rows < 1 || tokens < 1) {
    fmt::print(stderr, "usage: bench_generate_host VOCAB.gguf [sequences>=1] [tokens>=1]\n");
    return 2;
  }
  const Vocab vocab = Vocab::load(argv[1]);
  // A GSM8K-like answer, repeated until it has enough tokens; each sequence starts elsewhere in it.
  std::string answer;
  std::vector<Token> source;
  while (static_cast<int>(source.size()) < tokens + rows) {
    answer +=
        "Natalia sold 48/2 = <<48/2=24>>24 clips in May. Natalia sold 48+24 = <<48+24=72>>72 clips "
        "altogether in April and May. The energy is 300 W * 2 s = 600 J; naïve estimates differ. ";
    source = vocab.tokenize(answer, false);
  }
  const std::vector<std::string> stops = {"Question:", "</s>", "<|im_end|>", "\n\n\n"};
  const DetokenizeRules rules = detokenize_rules(vocab.raw());

  size_t sink = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < rows; ++r) {
    std::vector<Token> generated;
    for (int t = 0; t < tokens; ++t) {
      generated.push_back(source[static_cast<size_t>(r + t)]);
      const std::string text = detokenize(vocab.raw(), generated);
      size_t best = std::string::npos;
      for (const auto& s : stops) best = std::min(best, text.find(s));
      sink += best == std::string::npos ? text.size() : best;
    }
  }
  const double whole = seconds_since(t0);
  t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < rows; ++r) {
    IncrementalDetokenizer d(vocab.raw(), rules);
    for (int t = 0; t < tokens; ++t) {
      const size_t changed = d.append(source[static_cast<size_t>(r + t)]);
      const size_t at = find_stop(d.text(), stops, changed);
      sink -= at == std::string::npos ? d.text().size() : at;
    }
  }
  const double incremental = seconds_since(t0);
  fmt::print(
      "{} sequences x {} tokens ({}): whole {:.3f} s ({:.1f} us/step of {} sequences), incremental {:.3f} s "
      "({:.1f} us/step) {:.1f}x{}\n",
      rows, tokens, rules.concatenates ? "concatenating vocabulary" : "vocabulary that cleans spaces: whole in both",
      whole, whole / tokens * 1e6, rows, incremental, incremental / tokens * 1e6, whole / incremental,
      sink == 0 ? "" : " (texts differ!)");
  return sink == 0 ? 0 : 1;
}
