#include "energy/stats.h"

#include <array>
#include <cmath>
#include <limits>

namespace jouleval::energy {

double student_t975(size_t df) {
  static constexpr std::array<double, 30> kTable = {
      12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
      2.120,  2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
  if (df == 0) return std::numeric_limits<double>::quiet_NaN();
  if (df <= kTable.size()) return kTable[df - 1];
  // Beyond 30: interpolate linearly in 1/df between tabulated points (40, 60, 120, infinity).
  struct Point {
    double df, t;
  };
  static constexpr std::array<Point, 5> kTail = {{{30, 2.042}, {40, 2.021}, {60, 2.000}, {120, 1.980}, {1e300, 1.960}}};
  const double x = 1.0 / static_cast<double>(df);
  for (size_t i = 1; i < kTail.size(); ++i) {
    if (static_cast<double>(df) <= kTail[i].df) {
      const double x0 = 1.0 / kTail[i - 1].df, x1 = 1.0 / kTail[i].df;
      return kTail[i - 1].t + (kTail[i].t - kTail[i - 1].t) * (x - x0) / (x1 - x0);
    }
  }
  return 1.960;
}

Stats summarize(const std::vector<double>& values) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  Stats s;
  s.n = values.size();
  if (s.n == 0) {
    s.mean = s.stddev = s.ci95_low = s.ci95_high = kNaN;
    return s;
  }
  double sum = 0;
  for (double v : values) sum += v;
  s.mean = sum / static_cast<double>(s.n);
  if (s.n < 2) {
    s.stddev = s.ci95_low = s.ci95_high = kNaN;
    return s;
  }
  double ss = 0;
  for (double v : values) ss += (v - s.mean) * (v - s.mean);
  s.stddev = std::sqrt(ss / static_cast<double>(s.n - 1));
  const double half = student_t975(s.n - 1) * s.stddev / std::sqrt(static_cast<double>(s.n));
  s.ci95_low = s.mean - half;
  s.ci95_high = s.mean + half;
  return s;
}

}  // namespace jouleval::energy
