#include "energy/integrate.h"

#include <algorithm>
#include <cmath>

namespace jouleval::energy {

double power_at(const std::vector<TimedWatts>& s, double t) {
  if (t <= s.front().t) return s.front().watts;
  if (t >= s.back().t) return s.back().watts;
  auto hi = std::lower_bound(s.begin(), s.end(), t, [](const TimedWatts& a, double v) { return a.t < v; });
  auto lo = hi - 1;
  const double span = hi->t - lo->t;
  if (span <= 0) return hi->watts;
  return lo->watts + (hi->watts - lo->watts) * (t - lo->t) / span;
}

std::optional<Integral> integrate_power(const std::vector<TimedWatts>& samples, double t0, double t1) {
  if (samples.empty() || t1 <= t0) return std::nullopt;
  Integral r;
  r.extrapolated = t0 < samples.front().t || t1 > samples.back().t;
  std::vector<TimedWatts> pts;
  pts.push_back({t0, power_at(samples, t0)});
  for (const auto& s : samples) {
    if (s.t > t0 && s.t < t1) {
      pts.push_back(s);
      ++r.samples_inside;
    }
  }
  pts.push_back({t1, power_at(samples, t1)});
  r.peak_watts = pts.front().watts;
  for (size_t i = 1; i < pts.size(); ++i) {
    r.joules += 0.5 * (pts[i].watts + pts[i - 1].watts) * (pts[i].t - pts[i - 1].t);
    r.peak_watts = std::max(r.peak_watts, pts[i].watts);
  }
  return r;
}

namespace {

// More polls than this (a period far below the window's length) is refused rather than looped over.
constexpr double kMaxPolls = 1e8;

// The most recent sample at or before t; the first sample when t precedes them all.
const TimedWatts& held_sample(const std::vector<TimedWatts>& s, double t) {
  auto after = std::upper_bound(s.begin(), s.end(), t, [](double v, const TimedWatts& a) { return v < a.t; });
  return after == s.begin() ? s.front() : *(after - 1);
}

}  // namespace

std::optional<PolledEnergy> poll_and_integrate(const std::vector<TimedWatts>& samples, double t0, double t1,
                                               double period) {
  if (samples.empty() || !(t1 > t0) || !std::isfinite(t1 - t0) || !(period > 0.0) || !std::isfinite(period))
    return std::nullopt;
  if ((t1 - t0) / period > kMaxPolls) return std::nullopt;
  PolledEnergy r;
  // Poll k at t0 + k * period (computed, not accumulated, so rounding does not drift).
  for (double t = t0; t < t1 && static_cast<double>(r.polls) <= kMaxPolls;
       t = t0 + static_cast<double>(r.polls) * period) {
    if (t < samples.front().t) ++r.polls_before_first_sample;
    r.joules += held_sample(samples, t).watts * std::min(period, t1 - t);
    ++r.polls;
  }
  return r;
}

std::optional<double> estimate_update_period(const std::function<Reading()>& read_counter, Clock& clock,
                                             double poll_seconds, double max_seconds) {
  const double start = clock.now();
  Reading first = read_counter();
  if (!first.value) return std::nullopt;
  double last = *first.value;
  std::vector<double> changes;
  while (clock.now() - start < max_seconds && changes.size() < 3) {
    clock.sleep_for(poll_seconds);
    Reading r = read_counter();
    if (!r.value) return std::nullopt;
    if (*r.value != last) {
      changes.push_back(clock.now());
      last = *r.value;
    }
  }
  if (changes.size() < 3) return std::nullopt;
  return (changes[2] - changes[0]) / 2.0;
}

double sampling_interval_for(std::optional<double> update_period) {
  if (!update_period) return 0.1;
  return std::clamp(*update_period / 2.0, 0.05, 0.5);
}

}  // namespace jouleval::energy
