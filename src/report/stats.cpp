#include "report/stats.h"

#include <array>
#include <cmath>

namespace jouleval::report {

std::optional<double> Stat::half_width() const {
  if (!ci_high) return std::nullopt;
  return *ci_high - mean;
}

double t_quantile_975(int df) {
  static constexpr std::array<double, 30> kTable = {
      12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
      2.120,  2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
  if (df < 1) df = 1;
  if (df <= 30) return kTable[static_cast<size_t>(df - 1)];
  // Cornish-Fisher expansion around the normal quantile; error < 1e-3 for df > 30.
  const double z = 1.959964;
  const double d = static_cast<double>(df);
  return z + (z * z * z + z) / (4.0 * d) + (5 * std::pow(z, 5) + 16 * std::pow(z, 3) + 3 * z) / (96.0 * d * d);
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
    const double half = t_quantile_975(s.n - 1) * sd / std::sqrt(static_cast<double>(s.n));
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

}  // namespace jouleval::report
