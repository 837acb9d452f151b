#include "results/stats.h"

#include "util/student_t.h"

#include <cmath>

namespace jouleval::results {

std::optional<double> Stat::half_width() const {
  if (!ci_high) return std::nullopt;
  return *ci_high - mean;
}

std::optional<Stat> summarize(const std::vector<double>& values) {
  if (values.empty()) return std::nullopt;
  Stat s;
  s.n = static_cast<int>(values.size());
  double sum = 0.0;
  for (double v : values) sum += v;
  s.mean = sum / s.n;
  if (s.n >= 2) {
    double ss = 0.0;
    for (double v : values) ss += (v - s.mean) * (v - s.mean);
    const double sd = std::sqrt(ss / (s.n - 1));
    const double half = util::student_t975(static_cast<size_t>(s.n - 1)) * sd / std::sqrt(static_cast<double>(s.n));
    s.stddev = sd;
    s.ci_low = s.mean - half;
    s.ci_high = s.mean + half;
  }
  return s;
}

std::optional<Stat> summarize_all(const std::vector<std::optional<double>>& values) {
  std::vector<double> present;
  present.reserve(values.size());
  for (const auto& v : values) {
    if (!v) return std::nullopt;
    present.push_back(*v);
  }
  return summarize(present);
}

}  // namespace jouleval::results
