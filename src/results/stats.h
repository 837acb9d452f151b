// Summary statistics over repetitions: mean, sample standard deviation and a Student-t 95%
// confidence interval of the mean. Used by the metrics of report/metrics.h.
#pragma once

#include <optional>
#include <vector>

namespace jouleval::results {

// z of a two-sided 95% normal interval (the 0.975 quantile of the standard normal): a score's interval
// from its standard error over the items, value ± kZ95 × stderr.
inline constexpr double kZ95 = 1.959964;

// Mean over n values; stddev and the CI exist only for n >= 2.
struct Stat {
  double mean = 0.0;
  std::optional<double> stddev;  // sample standard deviation (n - 1)
  std::optional<double> ci_low;  // mean - t(0.975, n-1) * stddev / sqrt(n)
  std::optional<double> ci_high;
  int n = 0;
  std::optional<double> half_width() const;
};

// Statistics of the values; absent when `values` is empty.
std::optional<Stat> summarize(const std::vector<double>& values);

// Statistics of the values that are present; absent unless every value is present (a missing
// repetition is never treated as zero).
std::optional<Stat> summarize_all(const std::vector<std::optional<double>>& values);

}  // namespace jouleval::results
