// Numbers written for people: the one rule of the Markdown and LaTeX exports (docs/report.md
// "Numbers for people"). CSV and JSON Lines keep exact numbers instead.
//
// - Three significant digits, integer digits never rounded away: 0.0123, 0.258, 12.6, 178, 4773.
// - A column whose values share a scale may fix its decimals instead: scores (0-1) with 3
//   (0.000, 0.258, 1.000), percentages and percentage points with 1.
// - Thousands are grouped with "," from 10,000 up: 4773, 12,345, 1,234,567 (integer counts too).
// - No exponent between 1e-6 and 1e15; outside, "1.23e-07" / "1.23e+15".
// - A value with an uncertainty is written "value ± half-width", both with the same decimals: those
//   of the value alone, more when the half-width would otherwise round to zero (until its first
//   significant digit shows, at most 9 decimals): "0.620 ± 0.039", "12.6 ± 7.6", "1260.0 ± 0.3"; a
//   half-width outside the normal magnitudes is written on its own ("1260 ± 1.00e-12").
// - Never "-0": a negative number that rounds to zero is written without its sign.
// - Not finite (NaN, infinity): "n/a".
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

namespace jouleval::report {

// For the `decimals` parameters: three significant digits instead of fixed decimals.
inline constexpr int kSignificant = -1;

// The decimals that give `value` three significant digits (0 when it has three or more integer
// digits, and for 0 or a value that is not finite).
int significant_decimals(double value);

// `value` by the rule above: `decimals` >= 0 fixes the decimals, kSignificant gives three
// significant digits.
std::string format_human(double value, int decimals = kSignificant);

// An integer count, thousands grouped: 950, 4773, 14,042.
std::string format_count(int64_t value);

// "value ± half-width" by the rule above, `separator` between the two (" ± " by default; LaTeX
// passes " $\pm$ "). A half-width that is negative or not finite is left out (the value alone).
std::string format_plus_minus(double value, double half_width, int decimals = kSignificant,
                              const std::string& separator = " \u00b1 ");

}  // namespace jouleval::report
