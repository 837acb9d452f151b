#include "energy/stats.h"

#include "util/student_t.h"

#include <cmath>
#include <limits>

namespace jouleval::energy {

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
  const double half = util::student_t975(s.n - 1) * s.stddev / std::sqrt(static_cast<double>(s.n));
  s.ci95_low = s.mean - half;
  s.ci95_high = s.mean + half;
  return s;
}

}  // namespace jouleval::energy
