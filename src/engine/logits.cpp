#include "engine/logits.h"

#include <algorithm>
#include <cmath>
#include <thread>
#include <vector>

namespace jouleval::engine {

RowStats row_stats(const float* logits, int32_t n_vocab) {
  RowStats s;
  if (n_vocab <= 0) return s;
  s.max = logits[0];
  s.argmax = 0;
  for (int32_t i = 1; i < n_vocab; ++i) {
    if (logits[i] > s.max) {
      s.max = logits[i];
      s.argmax = i;
    }
  }
  // Blocked float sums (vectorisable), accumulated in double across blocks.
  constexpr int32_t kBlock = 1024;
  double total = 0.0;
  for (int32_t b = 0; b < n_vocab; b += kBlock) {
    const int32_t e = std::min(n_vocab, b + kBlock);
    float partial = 0.0f;
    for (int32_t i = b; i < e; ++i) partial += std::exp(logits[i] - s.max);
    total += partial;
  }
  s.log_sum_exp = static_cast<double>(s.max) + std::log(total);
  return s;
}

void parallel_for(int64_t n, int32_t threads, const std::function<void(int64_t)>& fn) {
  const int64_t t = std::clamp<int64_t>(threads, 1, std::max<int64_t>(n, 1));
  if (t <= 1) {
    for (int64_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(t - 1));
  auto work = [&](int64_t k) {
    for (int64_t i = k; i < n; i += t) fn(i);
  };
  for (int64_t k = 1; k < t; ++k) pool.emplace_back(work, k);
  work(0);
  for (auto& th : pool) th.join();
}

}  // namespace jouleval::engine
