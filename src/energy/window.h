// The energy of one meter over one measurement window, computed from the readings taken at the
// window's edges and the power samples around it (a pure function, testable with explicit times).
#pragma once

#include <optional>
#include <vector>

#include "energy/integrate.h"
#include "energy/meter.h"
#include "results/records.h"

namespace jouleval::energy {

// What was read from a meter at one edge of a window.
struct EdgeReading {
  Reading energy;  // cumulative counter (when the meter has one)
  std::optional<double> temperature_c;
};

struct MeterWindowInput {
  MeterStatus status;
  bool has_counter = false;
  PowerSource power_source = PowerSource::kNone;
  EdgeReading begin;
  EdgeReading end;
  std::vector<TimedWatts> samples;   // sorted; may extend beyond the window on both sides
  std::optional<double> idle_watts;  // idle baseline of this meter, when measured
};

// Counter delta (primary), integrated power (instantaneous sources only; never from the counter
// itself), their relative disagreement (flagged above `threshold`), totals, idle-subtracted energy,
// average/peak power and temperatures. A meter that yields no energy is unavailable with the reason;
// a meter whose counter failed but whose power integrates is available, total from the integral,
// and the counter failure is kept in unavailable_reason as a note. A counter that went backwards
// between the edges (lower at the end, or restarted: Reading::restarts differ) failed: never a
// negative energy.
results::MeterEnergy compute_meter_energy(const MeterWindowInput& in, double t0, double t1, double threshold);

}  // namespace jouleval::energy
