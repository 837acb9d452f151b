// The phases of generation cells (docs/energy.md "Phases of generation") for people and for
// exports: the per-repetition rows as a table, a cell's phases over its repetitions, and the one line
// `run` prints after a generation repetition.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "report/table.h"
#include "results/records.h"

namespace jouleval::report {

// One phase of one meter of a cell, over the repetitions that recorded it. Prefill, decode and
// other are per pass of the task (a repetition's figures divided by its passes); steady is the one
// stretch it is, as measured. J per token is the mean of each repetition's joules / tokens.
struct CellPhase {
  std::string meter;  // "" when the windows had no meter
  std::string phase;  // prefill | decode | steady | other
  int repetitions = 0;
  int with_energy = 0;                           // repetitions whose phase has energy
  double seconds = 0;                            // mean
  double tokens = 0;                             // mean
  int32_t batch = 0;                             // the largest
  std::optional<double> joules;                  // mean over the repetitions with energy
  std::optional<double> joules_idle_subtracted;  // mean over those with it
  std::optional<double> joules_per_token;        // mean of joules / tokens
  std::string method;  // the method when all agree; else "counter-scaled (2 of 3 repetitions; 1 too short)"
  std::string note;    // the first note stored (why there is no energy)
};

// The cell's phases, in the order the meters and phases were stored. Empty for a cell without any.
std::vector<CellPhase> cell_phases(const results::Cell& cell);

// The report's table of the phases of every finished cell that has them: one row per cell, meter and
// phase (cell_phases), the cell labelled by the identity fields that tell the rows apart. No rows
// when no cell has phases.
Table cell_phases_table(const std::vector<results::Cell>& cells, const std::map<std::string, std::string>& labels);

// One row per stored phase row of every finished cell (cell, identity, repetition, passes, meter,
// phase, seconds, tokens, steps, sequences (the stored batch), joules, joules_idle_subtracted,
// j_per_token, method, note), as stored: the repetition's whole window (all its passes). The meter is
// "" (shown "none") when the window had no meter.
Table phases_table(const std::vector<results::Cell>& cells, const std::vector<results::Machine>& machines);

// "steady-state decode: 0.52 J/token (nvml:0, counter-scaled) over 12.3 s (B = 64)" for a
// repetition with phases (without energy: the time and why; without a steady state: why); nullopt
// for a repetition without phases.
std::optional<std::string> steady_state_line(const results::Repetition& rep);

}  // namespace jouleval::report
