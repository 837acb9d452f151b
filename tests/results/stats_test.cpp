#include "results/stats.h"

#include <gtest/gtest.h>

#include <cmath>

namespace jouleval::results {
namespace {

TEST(Stats, MeanStddevAndStudentTInterval) {
  const auto s = summarize({1, 2, 3, 4, 5});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->n, 5);
  EXPECT_DOUBLE_EQ(s->mean, 3.0);
  EXPECT_NEAR(*s->stddev, std::sqrt(2.5), 1e-12);
  const double half = 2.776 * std::sqrt(2.5) / std::sqrt(5.0);  // t(0.975, 4) = 2.776 (tables)
  EXPECT_NEAR(*s->ci_low, 3.0 - half, 1e-3);
  EXPECT_NEAR(*s->ci_high, 3.0 + half, 1e-3);
}

TEST(Stats, SmallSamplesHaveNoInterval) {
  const auto one = summarize({7});
  ASSERT_TRUE(one);
  EXPECT_EQ(one->n, 1);
  EXPECT_DOUBLE_EQ(one->mean, 7);
  EXPECT_FALSE(one->stddev);
  EXPECT_FALSE(one->ci_low);
  EXPECT_FALSE(summarize({}));
}

TEST(Stats, AMissingValueIsNeverZero) {
  EXPECT_FALSE(summarize_all({1.0, std::nullopt, 3.0}));
  EXPECT_DOUBLE_EQ(summarize_all({1.0, 3.0})->mean, 2.0);
}

}  // namespace
}  // namespace jouleval::results
