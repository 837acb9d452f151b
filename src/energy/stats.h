// Statistics over repetitions of a measurement: mean, sample standard deviation and a 95% confidence
// interval of the mean from Student's t distribution.
#pragma once

#include <cstddef>
#include <vector>

namespace jouleval::energy {

struct Stats {
  size_t n = 0;
  double mean = 0;      // NaN when n == 0
  double stddev = 0;    // sample standard deviation (n - 1); NaN when n < 2
  double ci95_low = 0;  // mean -+ t(0.975, n-1) * stddev / sqrt(n); NaN when n < 2
  double ci95_high = 0;
};

Stats summarize(const std::vector<double>& values);

}  // namespace jouleval::energy
