// Host work per greedy decoding step: 256 rows of a 151,936-entry vocabulary, shared out over T threads
// with engine::parallel_for, as generation does. Compiled against the old and the new logits.cpp.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>
#include "engine/logits.h"
using namespace jouleval::engine;
int main(int argc, char** argv) {
  const int rows = 256, vocab = 151936, threads = argc > 1 ? std::atoi(argv[1]) : 1;
  std::vector<float> l(static_cast<size_t>(rows) * vocab);
  std::mt19937 rng(1);
  std::normal_distribution<float> n(0, 3);
  for (auto& v : l) v = n(rng);
  std::vector<int> out(rows);
  auto time = [&](auto f) {
    f();
    auto t0 = std::chrono::steady_clock::now();
    for (int k = 0; k < 20; k++) f();
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / 20;
  };
  double stats = time(
      [&] { parallel_for(rows, threads, [&](int64_t r) { out[r] = row_stats(l.data() + r * vocab, vocab).argmax; }); });
  printf("%s threads %d: row_stats %.2f ms/step\n", LABEL, threads, stats);
#ifdef HAS_ARGMAX
  double am =
      time([&] { parallel_for(rows, threads, [&](int64_t r) { out[r] = row_argmax(l.data() + r * vocab, vocab); }); });
  printf("%s threads %d: row_argmax %.2f ms/step\n", LABEL, threads, am);
#endif
}
