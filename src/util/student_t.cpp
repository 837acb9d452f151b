#include "util/student_t.h"

#include <array>
#include <limits>

namespace jouleval::util {

double student_t975(size_t df) {
  static constexpr std::array<double, 30> kTable = {
      12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
      2.120,  2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
  if (df == 0) return std::numeric_limits<double>::quiet_NaN();
  if (df <= kTable.size()) return kTable[df - 1];
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

}  // namespace jouleval::util
