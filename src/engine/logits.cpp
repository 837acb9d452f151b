#include "engine/logits.h"

#include <algorithm>
#include <bit>
#include <cmath>

// The row statistics dominate host time when every token of a continuation needs a full-vocabulary
// log-softmax (HellaSwag: ~150k exps per scored token). The loops below are written so that the
// compiler vectorises them, and are compiled for AVX-512 and AVX2 as well as the baseline; the CPU
// picks the best clone at load time.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(JOULEVAL_NO_CLONES)
#define JOULEVAL_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define JOULEVAL_VECTOR_CLONES
#endif

namespace jouleval::engine {
namespace {

constexpr int32_t kLanes = 16;
constexpr int32_t kBlock = 1024;  // float partial sums per block, accumulated in double across blocks

// exp(x) for x <= 0 (what log-sum-exp needs after subtracting the maximum), branch-free so that it
// vectorises: x·log2(e) = n + f with n an integer and |f| <= 1/2, 2^f by its degree-7 Taylor
// polynomial (relative error < 2e-8 on that range), 2^n by building the float's exponent bits.
// Inputs below -87 (results under 2^-126) return 2^-126 · 2^f instead of denormals or zero: at most
// 1e-38 each, invisible next to the maximum's term of 1.
inline float exp_nonpositive(float x) {
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kRound = 12582912.0f;  // 1.5 · 2^23: adding and subtracting it rounds to an integer
  float t = x * kLog2e;
  t = t < -126.0f ? -126.0f : t;  // also maps -inf to -126
  const float n = (t + kRound) - kRound;
  const float f = t - n;
  constexpr float c1 = 0.693147180559945f, c2 = 0.240226506959101f, c3 = 0.0555041086648216f, c4 = 0.00961812910762848f,
                  c5 = 0.00133335581464284f, c6 = 0.000154035303933816f, c7 = 1.52527338040598e-05f;
  const float p = 1.0f + f * (c1 + f * (c2 + f * (c3 + f * (c4 + f * (c5 + f * (c6 + f * c7))))));
  const auto bits = static_cast<uint32_t>(static_cast<int32_t>(n) + 127) << 23;
  return p * std::bit_cast<float>(bits);
}

JOULEVAL_VECTOR_CLONES float row_max(const float* x, int32_t n) {
  float lane[kLanes];
  for (float& l : lane) l = -INFINITY;
  int32_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int32_t j = 0; j < kLanes; ++j) lane[j] = x[i + j] > lane[j] ? x[i + j] : lane[j];
  }
  float m = -INFINITY;
  for (; i < n; ++i) m = x[i] > m ? x[i] : m;
  for (float l : lane) m = l > m ? l : m;
  return m;
}

// First index whose value equals `target` (which occurs in the row), scanning blocks of lanes.
JOULEVAL_VECTOR_CLONES int32_t first_index_of(const float* x, int32_t n, float target) {
  int32_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    int hit = 0;
    for (int32_t j = 0; j < kLanes; ++j) hit |= x[i + j] == target ? 1 : 0;
    if (hit) break;
  }
  for (; i < n; ++i) {
    if (x[i] == target) return i;
  }
  return -1;
}

JOULEVAL_VECTOR_CLONES double sum_exp_shifted(const float* x, int32_t n, float shift) {
  double total = 0.0;
  for (int32_t b = 0; b < n; b += kBlock) {
    const int32_t e = std::min(n, b + kBlock);
    float lane[kLanes] = {};
    int32_t i = b;
    for (; i + kLanes <= e; i += kLanes) {
      for (int32_t j = 0; j < kLanes; ++j) lane[j] += exp_nonpositive(x[i + j] - shift);
    }
    float partial = 0.0f;
    for (; i < e; ++i) partial += exp_nonpositive(x[i] - shift);
    for (float l : lane) partial += l;
    total += partial;
  }
  return total;
}

}  // namespace

namespace {

struct MaxAt {
  float max = -INFINITY;
  int32_t argmax = -1;
};

// Maximum and argmax (first index of the maximum) in one pass over memory: the maximum of each block
// of kBlock entries (vectorised, the block stays in L1), keeping the first block that raises it;
// then the first index of the maximum inside that block. A degenerate row (maximum NaN or infinite,
// or every entry NaN) takes the plain definition: first index of a strictly greater value.
MaxAt max_and_argmax(const float* x, int32_t n) {
  MaxAt r;
  int32_t best_block = 0;
  for (int32_t b = 0; b < n; b += kBlock) {
    const float m = row_max(x + b, std::min(kBlock, n - b));
    if (m > r.max) {
      r.max = m;
      best_block = b;
    }
  }
  if (std::isnan(r.max) || std::isinf(r.max)) {
    r.argmax = 0;
    for (int32_t i = 1; i < n; ++i) {
      if (x[i] > x[r.argmax]) r.argmax = i;
    }
    r.max = x[r.argmax];
    return r;
  }
  r.argmax = best_block + first_index_of(x + best_block, std::min(kBlock, n - best_block), r.max);
  return r;
}

}  // namespace

RowStats row_stats(const float* logits, int32_t n_vocab) {
  RowStats s;
  if (n_vocab <= 0) return s;
  const MaxAt at = max_and_argmax(logits, n_vocab);
  s.max = at.max;
  s.argmax = at.argmax;
  if (std::isnan(s.max) || std::isinf(s.max)) {  // degenerate row: fall back to the plain definition
    double total = 0.0;
    for (int32_t i = 0; i < n_vocab; ++i) total += std::exp(static_cast<double>(logits[i]) - s.max);
    s.log_sum_exp = static_cast<double>(s.max) + std::log(total);
    return s;
  }
  s.log_sum_exp = static_cast<double>(s.max) + std::log(sum_exp_shifted(logits, n_vocab, s.max));
  return s;
}

int32_t row_argmax(const float* logits, int32_t n_vocab) {
  if (n_vocab <= 0) return -1;
  return max_and_argmax(logits, n_vocab).argmax;
}

}  // namespace jouleval::engine
