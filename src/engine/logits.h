// Numerics on one row of logits: maximum, argmax and log-sum-exp, from which the log-softmax of
// any token follows. Many rows are processed on the model's ThreadPool (engine/thread_pool.h).
#pragma once

#include <cstdint>

namespace jouleval::engine {

struct RowStats {
  float max = 0.0f;
  int32_t argmax = -1;
  double log_sum_exp = 0.0;  // log(sum(exp(x))) including the max

  double logprob(const float* logits, int32_t token) const { return static_cast<double>(logits[token]) - log_sum_exp; }
  // Greedy check that counts ties with the maximum as greedy.
  bool is_max(const float* logits, int32_t token) const { return logits[token] >= max; }
};

RowStats row_stats(const float* logits, int32_t n_vocab);

// row_stats(logits, n_vocab).argmax without the log-sum-exp pass (greedy decoding needs only the
// argmax: one exp per vocabulary entry less per sequence and step). -1 when n_vocab <= 0.
int32_t row_argmax(const float* logits, int32_t n_vocab);

}  // namespace jouleval::engine
