#include "energy/window.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace jouleval::energy {

results::MeterEnergy compute_meter_energy(const MeterWindowInput& in, double t0, double t1, double threshold) {
  results::MeterEnergy e;
  e.meter = in.status.name;
  e.device = in.status.device;
  e.kind = in.status.kind;
  if (!in.status.available) {
    e.available = false;
    e.unavailable_reason = in.status.reason;
    return e;
  }
  const double seconds = t1 - t0;
  std::string note;
  if (in.has_counter) {
    const Reading& b = in.begin.energy;
    const Reading& f = in.end.energy;
    if (b.value && f.value) {
      const double delta = *f.value - *b.value;
      if (delta < 0) {
        // Energy is never negative: the counter was reset (a driver reload, a replaced meter).
        note = fmt::format("counter went backwards: {:.3f} J at the window's start, {:.3f} J at its end (reset?)",
                           *b.value, *f.value);
      } else if (f.restarts != b.restarts) {
        note = "counter went backwards during the window (reset?); its energy in the window is unknown";
      } else {
        e.counter_joules = delta;
      }
    } else {
      note = "energy counter: " + (in.begin.energy.value ? in.end.energy.error : in.begin.energy.error);
    }
  }
  if (in.power_source == PowerSource::kInstant) {
    if (auto integral = integrate_power(in.samples, t0, t1)) {
      e.integrated_joules = integral->joules;
      e.peak_watts = integral->peak_watts;
    }
  } else if (in.power_source == PowerSource::kFromCounter) {
    // Power derived from the counter between samples: good for peak and timeline, never used as an
    // independent cross-check of the counter.
    for (const auto& s : in.samples) {
      if (s.t >= t0 && s.t <= t1) e.peak_watts = std::max(e.peak_watts.value_or(s.watts), s.watts);
    }
  }
  e.total_joules = e.counter_joules ? e.counter_joules : e.integrated_joules;
  if (!e.total_joules) {
    e.available = false;
    e.unavailable_reason = note.empty() ? "no energy reading in this window" : note;
    e.peak_watts.reset();
    return e;
  }
  e.available = true;
  if (!note.empty()) e.unavailable_reason = note + "; total from integrated power";
  // Relative to the larger of the two, so that a counter that did not move while power was drawn
  // reads as a complete disagreement (1), not as none (a zero counter) or as 10^5 % (a tiny one).
  const double scale = std::max(std::abs(e.counter_joules.value_or(0.0)), std::abs(e.integrated_joules.value_or(0.0)));
  if (e.counter_joules && e.integrated_joules && scale > 0) {
    e.disagreement = std::abs(*e.counter_joules - *e.integrated_joules) / scale;
    e.disagreement_flag = *e.disagreement > threshold;
  }
  if (seconds > 0) e.avg_watts = *e.total_joules / seconds;
  if (in.idle_watts) {
    e.idle_watts = in.idle_watts;
    e.active_joules = *e.total_joules - *in.idle_watts * seconds;
  }
  e.temp_start_c = in.begin.temperature_c;
  e.temp_end_c = in.end.temperature_c;
  return e;
}

}  // namespace jouleval::energy
