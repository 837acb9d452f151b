// What `run`, `sweep` and `demo` share: the evaluation options that map onto a SweepConfig, running a
// configured sweep with progress and printing its results table.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "energy/monitor.h"
#include "sweep/config.h"

namespace jouleval::cli {

// Options for how cells are evaluated and measured (repetitions, idle, threads, context, ...).
void add_evaluation_options(CLI::App& app, sweep::SweepConfig& config);

// "gpu" when a GPU backend is compiled in, else "cpu".
std::string default_placement();

struct SweepRunOptions {
  bool json = false;
  bool quiet = false;
  std::string log_items;
  std::string command_line;
  double time_budget_seconds = 0;  // 0 = none; see sweep::RunOptions
  std::optional<size_t> only_cell;  // see sweep::RunOptions
};

// Opens the store and the monitor, tells which meters are unavailable, runs the sweep, prints the
// results table (or JSON). Returns the exit code: 0, 1 when a cell failed, 5 when the time budget
// stopped it before every cell was finished.
int run_configured_sweep(const sweep::SweepConfig& config, const energy::MonitorOptions& monitor_options,
                         const SweepRunOptions& options);

std::string joined_command_line(int argc, const char* const* argv);

}  // namespace jouleval::cli
