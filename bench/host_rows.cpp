// Host time of one greedy decoding step's logits work: for B sequences of a vocabulary of V entries,
// the full row statistics (max, argmax, log-sum-exp: what scoring needs) against the argmax alone
// (what greedy generation needs). Results in docs/benchmarks.md ("Host work per decoding step").
//
//   build/bin/bench_host_rows [B=256] [V=151936] [threads=1] [steps=20]
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <random>
#include <vector>

#include "engine/logits.h"
#include "engine/thread_pool.h"

using namespace jouleval::engine;

namespace {

template <typename F>
double ms_per_step(int steps, F&& step) {
  step();  // warm caches and the CPU's clock
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < steps; ++i) step();
  const std::chrono::duration<double, std::milli> d = std::chrono::steady_clock::now() - t0;
  return d.count() / steps;
}

}  // namespace

int main(int argc, char** argv) {
  const int rows = argc > 1 ? std::atoi(argv[1]) : 256;
  const int vocab = argc > 2 ? std::atoi(argv[2]) : 151936;
  const int threads = argc > 3 ? std::atoi(argv[3]) : 1;
  const int steps = argc > 4 ? std::atoi(argv[4]) : 20;
  if (rows < 1 || vocab < 1 || threads < 1 || steps < 1) {
    fmt::print(stderr, "usage: bench_host_rows [rows>=1] [vocab>=1] [threads>=1] [steps>=1]\n");
    return 2;
  }
  std::vector<float> logits(static_cast<size_t>(rows) * static_cast<size_t>(vocab));
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  for (float& v : logits) v = normal(rng);
  std::vector<int32_t> out(static_cast<size_t>(rows));
  const auto row = [&](int64_t r) { return logits.data() + r * vocab; };
  ThreadPool pool(threads);
  const double full = ms_per_step(steps, [&] {
    pool.parallel_for(rows, [&](int64_t r) { out[static_cast<size_t>(r)] = row_stats(row(r), vocab).argmax; });
  });
  const double argmax = ms_per_step(steps, [&] {
    pool.parallel_for(rows, [&](int64_t r) { out[static_cast<size_t>(r)] = row_argmax(row(r), vocab); });
  });
  fmt::print("rows {} vocab {} threads {}: row_stats {:.2f} ms/step, row_argmax {:.2f} ms/step ({:.1f}x)\n", rows,
             vocab, threads, full, argmax, full / argmax);
  return 0;
}
