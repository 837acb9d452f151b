// The Student t quantile used for every 95% confidence interval.
#include <gtest/gtest.h>

#include <cmath>

#include "util/student_t.h"

namespace jouleval::util {
namespace {

TEST(StudentT, TableValuesAndTail) {
  EXPECT_TRUE(std::isnan(student_t975(0)));
  EXPECT_NEAR(student_t975(1), 12.706, 1e-9);
  EXPECT_NEAR(student_t975(2), 4.303, 1e-9);
  EXPECT_NEAR(student_t975(30), 2.042, 1e-9);
  EXPECT_NEAR(student_t975(60), 2.000, 1e-9);
  EXPECT_GT(student_t975(45), 2.000);  // between the tabulated 40 and 60
  EXPECT_LT(student_t975(45), 2.021);
  EXPECT_NEAR(student_t975(1000), 1.962, 1e-3);  // t(0.975, 1000) = 1.9623
  EXPECT_NEAR(student_t975(100000), 1.960, 1e-3);
}

}  // namespace
}  // namespace jouleval::util
