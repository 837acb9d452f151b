// Pure numerics on power samples: trapezoid integration over a window with values interpolated at
// the window's edges, a simulated periodic poller (nvidia-smi at 1 Hz), and the estimate of an
// energy counter's update period.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "energy/clock.h"
#include "energy/meter.h"

namespace jouleval::energy {

struct TimedWatts {
  double t = 0;  // seconds (Clock scale)
  double watts = 0;
};

// Power at time t: linear interpolation between the samples around t; the nearest sample's value
// when t lies outside them. `samples` sorted by t, not empty.
double power_at(const std::vector<TimedWatts>& samples, double t);

struct Integral {
  double joules = 0;
  double peak_watts = 0;      // over the samples inside the window and the interpolated edges
  bool extrapolated = false;  // an edge lay outside the samples (held at the nearest value)
  size_t samples_inside = 0;
};

// Trapezoid integral of power over [t0, t1]. Empty samples or t1 <= t0 -> nullopt.
std::optional<Integral> integrate_power(const std::vector<TimedWatts>& samples, double t0, double t1);

// Energy as a periodic power poller reports it (the 1 Hz `nvidia-smi --query-gpu=power.draw -lms 1000`
// method of the study jouleval improves on), simulated on stored samples.
struct PolledEnergy {
  double joules = 0;
  size_t polls = 0;
  size_t polls_before_first_sample = 0;  // polls that took the first sample's value (held back)
};

// Polls at t0, t0 + period, t0 + 2 period, ... while the poll time is < t1 (the first poll is at the
// window start). Each poll reads the most recent sample at or before the poll time (zero-order
// hold); a poll before the first sample reads the first sample. Energy = sum of reading x period,
// the last reading covering only the rest of the window (t1 - its poll time); a window shorter than
// one period is therefore reading(t0) x (t1 - t0). `samples` sorted by t. Empty samples,
// t1 <= t0, a period that is not a positive finite number, or more than 1e8 polls -> nullopt.
std::optional<PolledEnergy> poll_and_integrate(const std::vector<TimedWatts>& samples, double t0, double t1,
                                               double period = 1.0);

// Polls a cumulative counter until it has changed three times and returns the mean time between
// changes (seconds), or nullopt when it did not change three times within `max_seconds`.
std::optional<double> estimate_update_period(const std::function<Reading()>& read_counter, Clock& clock,
                                             double poll_seconds = 0.002, double max_seconds = 0.6);

// The sampling interval for a counter that updates every `update_period` seconds: half of it,
// kept within [0.05 s, 0.5 s] (faster than ~20 Hz adds nothing). No period -> 0.1 s.
double sampling_interval_for(std::optional<double> update_period);

}  // namespace jouleval::energy
