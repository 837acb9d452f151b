// The one number rule of the formats for people (report/number_format.h), against hand-written
// strings.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "report/number_format.h"

namespace jouleval::report {
namespace {

TEST(report_number_format, ThreeSignificantDigitsKeepingIntegerDigits) {
  EXPECT_EQ(format_human(0.258), "0.258");
  EXPECT_EQ(format_human(0.0123456), "0.0123");
  EXPECT_EQ(format_human(12.64), "12.6");
  EXPECT_EQ(format_human(178.4), "178");
  EXPECT_EQ(format_human(4773.2), "4773");
  EXPECT_EQ(format_human(-41.6667), "-41.7");
  EXPECT_EQ(format_human(0.00000123), "0.00000123");
  // Rounding up to the next power of ten keeps three significant digits, not four.
  EXPECT_EQ(format_human(9.996), "10.0");
  EXPECT_EQ(format_human(0.9996), "1.00");
  EXPECT_EQ(significant_decimals(0.258), 3);
  EXPECT_EQ(significant_decimals(12.6), 1);
  EXPECT_EQ(significant_decimals(178.0), 0);
  EXPECT_EQ(significant_decimals(9.996), 1);
  EXPECT_EQ(significant_decimals(0.0), 0);
}

TEST(report_number_format, ThousandsGroupedFromTenThousand) {
  EXPECT_EQ(format_human(9999.4), "9999");
  EXPECT_EQ(format_human(12345.6), "12,346");
  EXPECT_EQ(format_human(1234567.0), "1,234,567");
  EXPECT_EQ(format_human(-12345.0), "-12,345");
  EXPECT_EQ(format_human(123456.789, 1), "123,456.8");
  EXPECT_EQ(format_count(950), "950");
  EXPECT_EQ(format_count(4773), "4773");
  EXPECT_EQ(format_count(14042), "14,042");
  EXPECT_EQ(format_count(-1234567), "-1,234,567");
}

// A score column fixes three decimals: 0 is "0.000" beside "0.258", never "0".
TEST(report_number_format, FixedDecimalsAndZero) {
  EXPECT_EQ(format_human(0.0, 3), "0.000");
  EXPECT_EQ(format_human(0.258, 3), "0.258");
  EXPECT_EQ(format_human(1.0, 3), "1.000");
  EXPECT_EQ(format_human(0.25849, 3), "0.258");
  EXPECT_EQ(format_human(-12.34, 1), "-12.3");
  EXPECT_EQ(format_human(-0.04, 1), "0.0");  // never "-0.0"
  EXPECT_EQ(format_human(0.0), "0");
}

TEST(report_number_format, ExponentOnlyOutsideNormalMagnitudes) {
  EXPECT_EQ(format_human(1.234e-7), "1.23e-07");
  EXPECT_EQ(format_human(2e15), "2.00e+15");
  EXPECT_EQ(format_human(999999999.0), "999,999,999");
  EXPECT_EQ(format_human(std::nan("")), "n/a");
  EXPECT_EQ(format_human(std::numeric_limits<double>::infinity()), "n/a");
}

TEST(report_number_format, PlusMinusSharesDecimals) {
  EXPECT_EQ(format_plus_minus(0.62, 0.0392, 3), "0.620 \u00b1 0.039");
  EXPECT_EQ(format_plus_minus(0.35, 0.21177), "0.350 \u00b1 0.212");
  EXPECT_EQ(format_plus_minus(12.6, 7.6237), "12.6 \u00b1 7.6");
  EXPECT_EQ(format_plus_minus(177.5, 107.4), "178 \u00b1 107");
  EXPECT_EQ(format_plus_minus(12345.6, 987.6), "12,346 \u00b1 988");
  EXPECT_EQ(format_plus_minus(25.0, 64.177, 1), "25.0 \u00b1 64.2");
  EXPECT_EQ(format_plus_minus(-0.5, 5.5437, 1), "-0.5 \u00b1 5.5");
  EXPECT_EQ(format_plus_minus(0.0, 0.0, 3), "0.000 \u00b1 0.000");
  // A half-width that would round to zero gets decimals until its first significant digit shows.
  EXPECT_EQ(format_plus_minus(1260.0, 0.3), "1260.0 \u00b1 0.3");
  EXPECT_EQ(format_plus_minus(0.62, 0.0004, 3), "0.6200 \u00b1 0.0004");
  EXPECT_EQ(format_plus_minus(1260.0, 2e-6), "1260.000000 \u00b1 0.000002");
  EXPECT_EQ(format_plus_minus(1260.0, 1e-12), "1260 \u00b1 1.00e-12");  // below 1e-6: exponent form
  EXPECT_EQ(format_plus_minus(0.62, 0.0392, 3, " $\\pm$ "), "0.620 $\\pm$ 0.039");
  // No usable half-width: the value alone.
  EXPECT_EQ(format_plus_minus(0.62, -0.01, 3), "0.620");
  EXPECT_EQ(format_plus_minus(0.62, std::nan(""), 3), "0.620");
  EXPECT_EQ(format_plus_minus(std::nan(""), 0.1), "n/a");
}

}  // namespace
}  // namespace jouleval::report
