// row_stats against a plain double-precision reference: the vectorised exp and the lane-wise max
// and argmax must give the same log-softmax as the textbook definition.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "engine/logits.h"

namespace jouleval::engine {
namespace {

struct Reference {
  double log_sum_exp;
  int32_t argmax;
};

Reference reference(const std::vector<float>& x) {
  int32_t arg = 0;
  for (size_t i = 1; i < x.size(); ++i) {
    if (x[i] > x[static_cast<size_t>(arg)]) arg = static_cast<int32_t>(i);
  }
  const double m = x[static_cast<size_t>(arg)];
  double total = 0.0;
  for (float v : x) total += std::exp(static_cast<double>(v) - m);
  return {m + std::log(total), arg};
}

void expect_matches(const std::vector<float>& x, double tolerance) {
  const RowStats s = row_stats(x.data(), static_cast<int32_t>(x.size()));
  const Reference r = reference(x);
  EXPECT_EQ(s.argmax, r.argmax);
  EXPECT_EQ(s.max, x[static_cast<size_t>(r.argmax)]);
  EXPECT_NEAR(s.log_sum_exp, r.log_sum_exp, tolerance);
}

TEST(Logits, FullVocabularyRowsMatchTheDoublePrecisionDefinition) {
  std::mt19937 rng(7);
  for (float scale : {0.5f, 3.0f, 12.0f, 40.0f}) {
    std::normal_distribution<float> dist(0.0f, scale);
    std::vector<float> x(151936);
    for (float& v : x) v = dist(rng);
    expect_matches(x, 2e-5);
  }
}

TEST(Logits, EverySizeAroundTheLaneAndBlockWidths) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> dist(-20.0f, 20.0f);
  for (int n : {1, 2, 15, 16, 17, 31, 33, 1023, 1024, 1025, 2049}) {
    std::vector<float> x(static_cast<size_t>(n));
    for (float& v : x) v = dist(rng);
    expect_matches(x, 1e-5);
  }
}

TEST(Logits, ArgmaxIsTheFirstOfTiedMaxima) {
  std::vector<float> x(100, -1.0f);
  x[40] = 5.0f;
  x[70] = 5.0f;
  const RowStats s = row_stats(x.data(), 100);
  EXPECT_EQ(s.argmax, 40);
  EXPECT_TRUE(s.is_max(x.data(), 70));
  EXPECT_FALSE(s.is_max(x.data(), 0));
  EXPECT_NEAR(s.log_sum_exp, reference(x).log_sum_exp, 1e-6);
}

TEST(Logits, VeryNegativeAndMinusInfinityEntriesContributeNothing) {
  std::vector<float> x(64, -std::numeric_limits<float>::infinity());
  x[3] = 2.0f;
  x[9] = 1.0f;
  x[20] = -500.0f;  // far below the exponent range of float
  const RowStats s = row_stats(x.data(), 64);
  EXPECT_EQ(s.argmax, 3);
  EXPECT_NEAR(s.log_sum_exp, 2.0 + std::log(1.0 + std::exp(-1.0)), 1e-6);
  EXPECT_NEAR(s.logprob(x.data(), 9), -1.0 - std::log(1.0 + std::exp(-1.0)), 1e-6);
}

TEST(Logits, ExpHoldsItsAccuracyAcrossTheWholeRange) {
  // Two entries: the maximum (term 1) and one at distance d, so log_sum_exp - max = log(1 + e^-d).
  for (double d = 0.0; d < 80.0; d += 0.37) {
    const auto below = static_cast<float>(-d);
    std::vector<float> x = {0.0f, below};
    const RowStats s = row_stats(x.data(), 2);
    const double expected = std::log1p(std::exp(static_cast<double>(below)));
    EXPECT_NEAR(s.log_sum_exp, expected, 1e-7 + 1e-6 * expected) << "d=" << d;
  }
}

TEST(Logits, NaNMaximumFallsBackToThePlainDefinition) {
  std::vector<float> x = {1.0f, std::numeric_limits<float>::infinity(), 0.0f};
  const RowStats s = row_stats(x.data(), 3);
  EXPECT_EQ(s.argmax, 1);
  EXPECT_TRUE(std::isinf(s.max));
}

// Greedy decoding's argmax: the first index of the maximum, over a vocabulary-sized row, as row_stats
// defines it (a tie goes to the lower index; an infinite maximum is found; an empty row has none).
TEST(Logits, RowArgmaxIsTheFirstIndexOfTheMaximum) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-10.0f, 10.0f);
  std::vector<float> x(151936);
  for (float& v : x) v = u(rng);
  x[151000] = 20.0f;
  EXPECT_EQ(row_argmax(x.data(), 151936), 151000);
  x[150999] = 20.0f;  // a tie just before it
  x[151500] = 20.0f;  // and one after it
  EXPECT_EQ(row_argmax(x.data(), 151936), 150999);
  EXPECT_EQ(row_argmax(x.data(), 151000), 150999);  // a shorter row
  x[17] = std::numeric_limits<float>::infinity();
  EXPECT_EQ(row_argmax(x.data(), 151936), 17);
  EXPECT_EQ(row_argmax(x.data(), 0), -1);
  const std::vector<float> three = {1.0f, 3.0f, 3.0f};
  EXPECT_EQ(row_argmax(three.data(), 3), 1);
}

}  // namespace
}  // namespace jouleval::engine
